-- crm-workbench schema: access control (roles, permissions, masking) and
-- accountability for actions taken on someone else's behalf.

-- The name a user goes by in the data: imported `owner` columns hold names
-- (王芳), not logins (wangf); a customer is a user's when its owner is either.
ALTER TABLE users ADD COLUMN display_name TEXT;
CREATE INDEX users_manager ON users(manager_id);

-- What each role may do, and to which customers: any, the team's (a
-- manager's reports, recursively, and the manager), its own, or none.
-- Rows are seeded from the built-in defaults on open; admins change them.
CREATE TABLE role_permissions (
    role        TEXT NOT NULL,
    permission  TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('any','team','own','none')),
    PRIMARY KEY (role, permission)
) WITHOUT ROWID;

-- Fields masked for roles without `sensitive.view` on the customer.
CREATE TABLE sensitive_fields (field TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO sensitive_fields (field) VALUES
    ('mobile'), ('landline'), ('email'), ('address'), ('contract_amount'), ('decision_maker');

-- The admin who acted as another user with `--as`; NULL when the actor acted
-- as themself.
ALTER TABLE audit_log ADD COLUMN real_actor TEXT;
