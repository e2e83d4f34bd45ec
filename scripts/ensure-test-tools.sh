#!/usr/bin/env bash
# The integration and end-to-end tests run real local stand-ins from Debian: the CNCF distribution registry (as
# Artifact Registry), skopeo and containerd (the real clients), umoci (to build OCI images). Installs what is missing
# when it can (root + apt), otherwise names what to install and fails before any test runs. Idempotent.
set -euo pipefail
declare -A package_of=([docker-registry]=docker-registry [skopeo]=skopeo [umoci]=umoci [containerd]=containerd [ctr]=containerd)
declare -A wanted=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || wanted[${package_of[$tool]}]=1
done
missing=("${!wanted[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$EUID" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test tools from Debian: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the integration tests need these Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
