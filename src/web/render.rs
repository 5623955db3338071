//! Turning templates into responses, and the 303 "see other" answer every successful form
//! gets.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

use super::error::AppError;

pub fn page<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    page_with_status(template, StatusCode::OK)
}

/// A form shown again because of invalid input: status 422, the input kept by the template.
pub fn invalid<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    page_with_status(template, StatusCode::UNPROCESSABLE_ENTITY)
}

pub fn page_with_status<T: Template>(
    template: &T,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let body = template.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
