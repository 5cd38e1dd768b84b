#!/bin/sh
# Runs once, as the image's superuser, when the PostgreSQL volume is first made: the two roles
# of README "Database roles". The portal never connects as the superuser: migrations run as
# secondop_owner (which owns the database), the portal as secondop_app (which owns nothing).
set -eu
owner_pw=$(cat /run/secrets/db_owner_password)
app_pw=$(cat /run/secrets/db_app_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_pw="$owner_pw" -v app_pw="$app_pw" <<'SQL'
CREATE ROLE secondop_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE secondop_app LOGIN PASSWORD :'app_pw';
CREATE DATABASE secondop OWNER secondop_owner;
REVOKE ALL ON DATABASE secondop FROM PUBLIC;
GRANT CONNECT ON DATABASE secondop TO secondop_app;
SQL
