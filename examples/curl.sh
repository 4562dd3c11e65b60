#!/bin/sh
# Token Broker from the shell: an admin creates a service, the service connects a user and
# reads tokens. Needs curl and jq. Usage:
#   BROKER_URL=http://localhost:3000 ADMIN_API_TOKEN=… sh examples/curl.sh github user-42
set -eu
BROKER_URL=${BROKER_URL:-http://localhost:3000}
PROVIDER=${1:?usage: curl.sh <provider key> <subject>}
SUBJECT=${2:?usage: curl.sh <provider key> <subject>}
ADMIN="Authorization: Bearer ${ADMIN_API_TOKEN:?set ADMIN_API_TOKEN}"

# 1. Admin: a service allowed to use the provider (the API key is shown only here).
API_KEY=$(curl -fsS -X POST "$BROKER_URL/admin/services" -H "$ADMIN" \
  -H 'Content-Type: application/json' \
  -d "{\"name\":\"curl-example\",\"allowed_providers\":[\"$PROVIDER\"],\"allowed_return_to\":[]}" |
  jq -r .api_key)
SVC="Authorization: Bearer $API_KEY"

# 2. Service: a connect session; open connect_url in the user's browser.
curl -fsS -X POST "$BROKER_URL/v1/connect-sessions" -H "$SVC" \
  -H 'Content-Type: application/json' \
  -d "{\"provider\":\"$PROVIDER\",\"subject\":\"$SUBJECT\"}" | jq '{connect_url, expires_at}'
printf 'Open the connect_url above, consent, then press Enter. '
read -r _

# 3. Service: find the connection and read a token valid for at least 2 minutes.
CONN=$(curl -fsS -G "$BROKER_URL/v1/connections" -H "$SVC" \
  --data-urlencode "provider=$PROVIDER" --data-urlencode "subject=$SUBJECT" | jq -r '.data[0].id')
curl -fsS "$BROKER_URL/v1/connections/$CONN/token?min_ttl=120" -H "$SVC" |
  jq '{token_type, expires_at, scopes, access_token: (.access_token[0:8] + "…")}'

# Errors are {"error": "<code>", "error_description": "…"}; e.g. 409 reauthorization_required
# means: send the user through a new connect session.
curl -sS "$BROKER_URL/v1/connections/conn_does_not_exist/token" -H "$SVC"
echo
