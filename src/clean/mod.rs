//! Pure normalisers: raw cell text in, canonical value (or a reason) out.
//! Every function here is idempotent: normalising a normalised value
//! returns it unchanged.

pub mod address;
pub mod company;
pub mod date;
pub mod email;
pub mod industry;
pub mod person;
pub mod phone;
pub mod text;
