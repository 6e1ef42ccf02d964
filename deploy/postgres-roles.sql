-- Custody: PostgreSQL roles. Two roles, so the application cannot rewrite its own audit trail.
--
--   custody_owner  owns the database objects and runs `manage.py migrate`; never used at runtime.
--   custody_app    the role in DATABASE_URL for web, worker and beat: reads and writes case data,
--                  but may only SELECT and INSERT on the audit tables (no UPDATE, DELETE, TRUNCATE),
--                  and, not being the owner, cannot drop or disable the append-only triggers.
--
-- 1. As a superuser, once (psql -v owner_password=... -v app_password=... -f deploy/postgres-roles.sql):
--
--      CREATE ROLE custody_owner LOGIN PASSWORD :'owner_password';
--      CREATE ROLE custody_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
--      CREATE DATABASE custody OWNER custody_owner;
--      \connect custody
--      REVOKE ALL ON SCHEMA public FROM PUBLIC;
--      GRANT USAGE, CREATE ON SCHEMA public TO custody_owner;
--      GRANT USAGE ON SCHEMA public TO custody_app;
--
-- 2. As custody_owner, after EVERY `manage.py migrate` (it is idempotent), run the grants below:
--      DATABASE_URL=postgres://custody_owner@.../custody python manage.py migrate
--      psql "postgres://custody_owner@.../custody" -v app_role=custody_app -f deploy/postgres-roles.sql
--    (step 1 is in comments so that running this file only ever applies step 2).

\if :{?app_role}
\else
\set app_role custody_app
\endif

-- Case data: full use by the application.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- The audit trail: append and read only.
REVOKE ALL ON audit_auditevent, audit_audittarget, audit_checkpoint FROM :"app_role";
GRANT SELECT, INSERT ON audit_auditevent, audit_audittarget, audit_checkpoint TO :"app_role";
