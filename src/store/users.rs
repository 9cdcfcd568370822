//! Users, role permissions and the sensitive-field list.

use crate::domain::{Role, User};
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};

fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<(User, Option<String>)> {
    let role: String = r.get(2)?;
    Ok((
        User {
            id: r.get(0)?,
            login: r.get(1)?,
            role: Role::parse(&role).unwrap_or(Role::Sales),
            manager: r.get(3)?,
            disabled: r.get::<_, i64>(4)? != 0,
        },
        r.get(5)?,
    ))
}

const USER_SELECT: &str = "SELECT u.id, u.login, u.role, m.login, u.disabled, u.display_name \
                           FROM users u LEFT JOIN users m ON m.id = u.manager_id";

/// Every user with their display name, by login.
pub fn list(conn: &Connection) -> Result<Vec<(User, Option<String>)>> {
    let mut stmt = conn.prepare(&format!("{USER_SELECT} ORDER BY u.login"))?;
    let rows = stmt.query_map([], row_to_user)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, login: &str) -> Result<Option<(User, Option<String>)>> {
    Ok(conn.query_row(&format!("{USER_SELECT} WHERE u.login = ?1"), [login], row_to_user).optional()?)
}

pub fn add(conn: &Connection, login: &str, role: Role, display_name: Option<&str>, now: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO users (login, role, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![login, role.as_str(), display_name, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_role(conn: &Connection, login: &str, role: Role) -> Result<()> {
    conn.execute("UPDATE users SET role = ?2 WHERE login = ?1", params![login, role.as_str()])?;
    Ok(())
}

pub fn set_display_name(conn: &Connection, login: &str, name: Option<&str>) -> Result<()> {
    conn.execute("UPDATE users SET display_name = ?2 WHERE login = ?1", params![login, name])?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, login: &str, disabled: bool) -> Result<()> {
    conn.execute("UPDATE users SET disabled = ?2 WHERE login = ?1", params![login, disabled as i64])?;
    Ok(())
}

/// Sets (or clears) a user's manager, refusing a cycle.
pub fn set_manager(conn: &Connection, login: &str, manager: Option<&str>) -> Result<()> {
    if let Some(m) = manager {
        // Walk up from the new manager: meeting `login` means a loop.
        let chain: Vec<String> = conn
            .prepare(
                "WITH RECURSIVE up(id, login, manager_id) AS (
                     SELECT id, login, manager_id FROM users WHERE login = ?1
                     UNION SELECT u.id, u.login, u.manager_id FROM users u JOIN up ON u.id = up.manager_id)
                 SELECT login FROM up",
            )?
            .query_map([m], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if chain.iter().any(|l| l == login) {
            return Err(Error::Refused(format!(
                "{m} cannot be {login}'s manager: {login} is already above {m} ({})",
                chain.iter().rev().map(String::as_str).collect::<Vec<_>>().join(" → ")
            )));
        }
    }
    conn.execute(
        "UPDATE users SET manager_id = (SELECT id FROM users WHERE login = ?2) WHERE login = ?1",
        params![login, manager],
    )?;
    Ok(())
}

/// The logins and display names of `login` and everyone below them.
pub fn team_names(conn: &Connection, login: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE down(id) AS (
             SELECT id FROM users WHERE login = ?1
             UNION SELECT u.id FROM users u JOIN down ON u.manager_id = down.id)
         SELECT login, display_name FROM users WHERE id IN (SELECT id FROM down)",
    )?;
    let mut out = Vec::new();
    for row in stmt.query_map([login], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))? {
        let (l, d) = row?;
        out.push(l);
        out.extend(d.filter(|d| !d.is_empty()));
    }
    Ok(out)
}

/// The stored scope of (role, permission), if any.
pub fn permission(conn: &Connection, role: Role, permission: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT scope FROM role_permissions WHERE role = ?1 AND permission = ?2")?
        .query_row(params![role.as_str(), permission], |r| r.get(0))
        .optional()?)
}

pub fn set_permission(conn: &Connection, role: Role, permission: &str, scope: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO role_permissions (role, permission, scope) VALUES (?1, ?2, ?3)
         ON CONFLICT(role, permission) DO UPDATE SET scope = excluded.scope",
        params![role.as_str(), permission, scope],
    )?;
    Ok(())
}

/// Adds a row only where none exists: an admin's change is never overwritten.
pub fn seed_permission(conn: &Connection, role: Role, permission: &str, scope: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO role_permissions (role, permission, scope) VALUES (?1, ?2, ?3)")?
        .execute(params![role.as_str(), permission, scope])?;
    Ok(())
}

pub fn sensitive_fields(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT field FROM sensitive_fields ORDER BY field")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_sensitive_fields(conn: &Connection, fields: &[&str]) -> Result<()> {
    conn.execute("DELETE FROM sensitive_fields", [])?;
    for f in fields {
        conn.execute("INSERT OR IGNORE INTO sensitive_fields (field) VALUES (?1)", [f])?;
    }
    Ok(())
}
