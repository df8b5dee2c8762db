#!/bin/sh
# Prints a secrets.env with fresh random values:  sh gen-secrets.sh > secrets.env
set -eu
pg=$(openssl rand -hex 32)
cat <<ENV
POSTGRES_PASSWORD=$pg
DATABASE_URL=postgres://gateway:$pg@postgres:5432/gateway
JWT_SECRET=$(openssl rand -hex 48)
WAHA_API_KEY=$(openssl rand -hex 32)
WUZAPI_ADMIN_TOKEN=$(openssl rand -hex 32)
S3_ACCESS_KEY=$(openssl rand -hex 10)
S3_SECRET_KEY=$(openssl rand -hex 32)
ENV
