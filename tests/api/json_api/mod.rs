//! The JSON API under `/api/v1`: bearer keys, errors, pagination and power actions
//! (`basics`), the account's audit log (`audit_log`), and the OpenAPI document checked as
//! a contract by calling every operation it lists (`openapi_contract`). The API's rows of
//! the authorization matrix are in `matrix::json_api`; a page and the API doing one
//! operation, in `one_operation_two_doors`.

mod audit_log;
mod basics;
mod openapi_contract;
