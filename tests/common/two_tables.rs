//! A MOLO snapshot of two tables (a marina and a pier) whose names say which snapshot was
//! published, for the tests that must tell a whole publish from none.

use super::Env;

/// Writes snapshot `name` (day `day`) naming the pier and the marina.
pub fn two_table_snapshot(env: &Env, name: &str, day: u64, pier: &str, marina: &str) {
    env.zip(
        "molo",
        name,
        day,
        &[
            ("MarinaLocations.csv", &format!("Id,Name\n1,{marina}\n")),
            ("Piers.csv", &format!("Id,Name,MarinaLocationId\n1,{pier},1\n")),
        ],
    );
}

/// The marina's and the pier's names in the warehouse.
pub fn dw_values(env: &Env) -> Vec<String> {
    env.lines("SELECT (SELECT NAME FROM DW_MOLO_MARINA_LOCATIONS), (SELECT NAME FROM DW_MOLO_PIERS)")
}
