//! What proptest draws: a world (who holds which servers, which roles, which alias users
//! with which reach and standing) and a sequence of steps. A step names its actor and its
//! targets by small numbers that are taken modulo the logins, roles and servers that exist
//! when it runs, so every drawn sequence is playable and shrinking keeps it playable.

use proptest::prelude::*;

use super::model::CATALOG;
use crate::no_escalation::USER_TIER;

/// The accounts every world has, by slot: an admin, a reseller owned by it, a customer of
/// the reseller and a customer of the admin.
pub const ACCOUNT_SLOTS: usize = 4;
/// The account slot of each alias user the world plan describes; the first of each account
/// is its lead and holds the account's first role.
pub const ALIAS_SLOTS: [usize; 7] = [0, 1, 1, 2, 2, 2, 3];
pub const SERVERS: usize = 6;
pub const ROLES_PER_ACCOUNT: usize = 2;

#[derive(Debug, Clone)]
pub struct AliasPlan {
    /// Which of its account's roles it holds.
    pub role: u8,
    pub all_servers: bool,
    /// Which of its account's servers it is assigned (bit per server of the world).
    pub servers: u8,
    /// 0 disabled, 1 expired, anything else active.
    pub standing: u8,
}

/// An API key of one login of the world, with a random scope (some of the login's
/// permissions or all of them; all its servers or a chosen few).
#[derive(Debug, Clone)]
pub struct KeyPlan {
    /// Which login holds it: a number taken modulo the world's logins.
    pub login: u8,
    /// The permissions granted, as a mask over `CATALOG` (cut down to the login's own when
    /// made through the form); `None`: all of them (none ticked).
    pub permissions: Option<u32>,
    /// The servers it is limited to, a bit per server of the world; `None`: all servers.
    pub servers: Option<u8>,
    /// Made through the login's API Keys form when the login may use it, else written to
    /// the database as a key made earlier, before the login was narrowed.
    pub through_form: bool,
}

#[derive(Debug, Clone)]
pub struct WorldPlan {
    /// Per server: 0 the reseller's own, 1 passed by the reseller to its customer, 2 the
    /// admin's customer's, 3 in the inventory.
    pub servers: Vec<u8>,
    /// Per account slot and role: a mask over `CATALOG`.
    pub roles: Vec<u32>,
    pub aliases: Vec<AliasPlan>,
    pub keys: Vec<KeyPlan>,
}

/// The kinds of step, with how often each is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    EditKindOrOwner,
    EditName,
    CreateAccount,
    EditRole,
    CreateRole,
    CreateAlias,
    ChangeAliasRole,
    AliasServers,
    AliasStatus,
    AliasPassword,
    DeleteAlias,
    Impersonate,
    StopImpersonating,
    Power,
    CreateKey,
    ServerOwner,
    Search,
    ViewAliasPage,
    LoginWithNul,
    /// Resets another login's second factors (every login of a world holds a recovery
    /// code, so an accepted reset shows in the database).
    ResetFactors,
    /// An API key of the world calls the JSON API (one of `api::API_CALLS`): the actor is
    /// the key, acting with its grants ∩ its login's current rights.
    KeyCall,
    /// The manager of a key's login narrows that login (another role, fewer permissions
    /// in its role, fewer servers) between the key's calls.
    NarrowKeyLogin,
}

const WEIGHTED: &[(Action, u32)] = &[
    (Action::EditKindOrOwner, 6),
    (Action::EditName, 3),
    (Action::CreateAccount, 3),
    (Action::EditRole, 8),
    (Action::CreateRole, 2),
    (Action::CreateAlias, 3),
    (Action::ChangeAliasRole, 5),
    (Action::AliasServers, 7),
    (Action::AliasStatus, 3),
    (Action::AliasPassword, 2),
    (Action::DeleteAlias, 1),
    (Action::Impersonate, 9),
    (Action::StopImpersonating, 2),
    (Action::Power, 6),
    (Action::CreateKey, 4),
    (Action::ServerOwner, 4),
    (Action::Search, 4),
    (Action::ViewAliasPage, 4),
    (Action::LoginWithNul, 1),
    (Action::ResetFactors, 3),
    (Action::KeyCall, 18),
    (Action::NarrowKeyLogin, 5),
];

#[derive(Debug, Clone)]
pub struct Step {
    pub actor: u8,
    pub action: Action,
    pub a: u8,
    pub b: u8,
    pub c: u8,
    pub mask: u32,
    pub text: u8,
}

/// Roles worth drawing often, per kind of account: the shapes of the real delegations the
/// reported escalations hid behind (a helpdesk with admin.users, a reseller's support desk,
/// a customer's manager, hands that only power or only look).
fn presets(slot: usize) -> Vec<Vec<&'static str>> {
    let with = |extra: &[&'static str]| {
        let mut v = USER_TIER.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let manager = vec![
        "alias_users.manage",
        "alias_roles.manage",
        "alias_users.impersonate",
        "api_keys.manage",
        "servers.view",
        "servers.power",
    ];
    let hands = vec!["servers.view", "servers.power"];
    let eyes = vec!["servers.view"];
    match slot {
        0 => vec![
            with(&["admin.users"]),
            with(&["admin.users", "admin.impersonate", "admin.servers"]),
            manager,
            hands,
        ],
        1 => vec![
            with(&[
                "customers.view",
                "customers.manage",
                "customers.impersonate",
                "customers.assign_servers",
            ]),
            vec![
                "customers.view",
                "customers.impersonate",
                "alias_users.impersonate",
                "servers.view",
                "servers.power",
            ],
            manager,
            hands,
        ],
        _ => vec![
            manager.clone(),
            vec![
                "alias_users.manage",
                "alias_users.impersonate",
                "servers.view",
            ],
            with(&[]),
            manager,
            hands,
            eyes,
        ],
    }
}

fn mask_of(keys: &[&str]) -> u32 {
    CATALOG
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| keys.contains(k))
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// A role's permissions for an account of `slot` (`None`: any kind): a preset, a sparse
/// draw or a dense one.
pub fn role_mask(slot: Option<usize>) -> impl Strategy<Value = u32> {
    let masks: Vec<u32> = match slot {
        Some(s) => presets(s).iter().map(|p| mask_of(p)).collect(),
        None => (0..3).flat_map(presets).map(|p| mask_of(&p)).collect(),
    };
    prop_oneof![
        4 => prop::sample::select(masks),
        2 => (any::<u32>(), any::<u32>()).prop_map(|(a, b)| a & b),
        1 => any::<u32>(),
    ]
}

/// The first role of each account, held by its first alias user (its "lead"): always one
/// of the delegations of its kind, so that every world has someone worth attacking with.
fn lead_mask(slot: usize) -> impl Strategy<Value = u32> {
    let masks: Vec<u32> = presets(slot).iter().map(|p| mask_of(p)).collect();
    prop::sample::select(masks)
}

fn alias_plan() -> impl Strategy<Value = AliasPlan> {
    (0u8..2, prop::bool::weighted(0.4), any::<u8>(), 0u8..12).prop_map(
        |(role, all_servers, servers, standing)| AliasPlan {
            role,
            all_servers,
            servers,
            standing,
        },
    )
}

fn key_plan() -> impl Strategy<Value = KeyPlan> {
    (
        any::<u8>(),
        prop::option::weighted(0.7, role_mask(None)),
        prop::option::weighted(0.5, any::<u8>()),
        prop::bool::weighted(0.6),
    )
        .prop_map(|(login, permissions, servers, through_form)| KeyPlan {
            login,
            permissions,
            servers,
            through_form,
        })
}

pub fn world_plan() -> impl Strategy<Value = WorldPlan> {
    (
        prop::collection::vec(0u8..4, SERVERS),
        (0..ACCOUNT_SLOTS * ROLES_PER_ACCOUNT)
            .map(|i| {
                let slot = i / ROLES_PER_ACCOUNT;
                if i % ROLES_PER_ACCOUNT == 0 {
                    lead_mask(slot).boxed()
                } else {
                    role_mask(Some(slot)).boxed()
                }
            })
            .collect::<Vec<_>>(),
        prop::collection::vec(alias_plan(), ALIAS_SLOTS.len()),
        prop::collection::vec(key_plan(), 1..=4),
    )
        .prop_map(|(servers, roles, aliases, keys)| WorldPlan {
            servers,
            roles,
            aliases,
            keys,
        })
}

fn action() -> impl Strategy<Value = Action> {
    let bag: Vec<Action> = WEIGHTED
        .iter()
        .flat_map(|(a, w)| std::iter::repeat_n(*a, *w as usize))
        .collect();
    prop::sample::select(bag)
}

pub fn step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        action(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        role_mask(None),
        any::<u8>(),
    )
        .prop_map(|(actor, action, a, b, c, mask, text)| Step {
            actor,
            action,
            a,
            b,
            c,
            mask,
            text,
        })
}

/// One case: a world and what happens in it.
pub fn case(max_steps: usize) -> impl Strategy<Value = (WorldPlan, Vec<Step>)> {
    (world_plan(), prop::collection::vec(step(), 1..=max_steps))
}
