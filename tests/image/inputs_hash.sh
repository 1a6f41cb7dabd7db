#!/usr/bin/env bash
# One hash over everything the image and its test are made from: the Dockerfile, .dockerignore, the package
# lists and set-up, the compose files and tests/image. make test reruns make image-test when it changes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
{
  ls Dockerfile .dockerignore docker-compose.yml scripts/setup.sh scripts/image.sh
  find scripts/packages tests/image -type f
} | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
