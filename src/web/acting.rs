//! What a request needs to know about the login that acts in it, read from the database
//! in the session's one load (`web::session`) and judged by `Current`: the login (with its
//! parent, role and reach), the impersonator behind it if any, whether that impersonator
//! still covers it, and the second factor of the person behind the session.

use chrono::NaiveDate;

use crate::access::actor::Refusal;
use crate::access::changes::covers;
use crate::access::rights::Rights;
use crate::access::Actor;
use crate::db::{DbConn, DbError};
use crate::models::two_factor::{state_of, FactorState};

/// The rows behind one session's login. `None` means the login is gone; `Err` that it
/// may no longer act (disabled, expired, or its parent is).
pub struct Acting {
    pub actor: Option<Result<Actor, Refusal>>,
    /// Present when the session impersonates: the real login, as loaded.
    pub impersonator: Option<Option<Result<Actor, Refusal>>>,
    /// Whether the impersonator's rights cover the target's, servers included.
    pub covered: bool,
    pub factor: FactorState,
}

impl Acting {
    pub fn load(
        c: &mut DbConn,
        login_id: i32,
        impersonator_id: Option<i32>,
        today: NaiveDate,
    ) -> Result<Acting, DbError> {
        let actor = Actor::load(c, login_id, today)?;
        let impersonator = match impersonator_id {
            Some(id) => Some(Actor::load(c, id, today)?),
            None => None,
        };
        // Every request of an impersonation asks again whether the real login covers
        // the target (servers included): a target that grew, or an impersonator that
        // shrank, ends it.
        let covered = match (&actor, &impersonator) {
            (Some(Ok(target)), Some(Some(Ok(imp)))) => {
                covers(c, &Rights::of_actor(imp), &Rights::of_actor(target))?
            }
            _ => false,
        };
        // The person behind the session is the impersonator when there is one: its own
        // factor counts, never the target's.
        let factor = match (&actor, &impersonator) {
            (_, Some(Some(Ok(i)))) => state_of(c, &i.login)?,
            (Some(Ok(a)), None) => state_of(c, &a.login)?,
            _ => FactorState::default(),
        };
        Ok(Acting {
            actor,
            impersonator,
            covered,
            factor,
        })
    }
}
