//! emit
pub struct Bundle;
pub fn bundle(_: &crate::model::Plan) -> Bundle {
    Bundle
}
