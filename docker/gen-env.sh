#!/bin/sh
# Prints a .env for docker compose with fresh random secrets:  sh docker/gen-env.sh > .env
# The /metrics password is printed on stderr once; only its hash goes into .env.
set -eu
rand() { openssl rand -hex "${1:-32}"; }
metrics_password=$(rand 16)
metrics_hash=$(openssl passwd -apr1 "$metrics_password")
echo "metrics basic auth: user 'metrics', password '$metrics_password'" >&2
grep -v 'REPLACE_ME' docker/compose.env.example
cat <<ENV
POSTGRES_PASSWORD=$(rand)
JWT_SECRET=$(rand 48)
WAHA_API_KEY=$(rand)
WUZAPI_ADMIN_TOKEN=$(rand)
WUZAPI_ENCRYPTION_KEY=$(rand 16)
WUZAPI_DB_PASSWORD=$(rand)
S3_ACCESS_KEY=$(rand 10)
S3_SECRET_KEY=$(rand)
METRICS_BASIC_AUTH='metrics:$metrics_hash'
ENV
