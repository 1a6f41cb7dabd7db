# Tyto: multi-stage build on Debian 12. The runtime image holds the binary, its shared libraries
# and curl for the health check; it runs as an unprivileged user.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libboost1.81-dev libsqlite3-dev libpq-dev nlohmann-json3-dev libfmt-dev libssl-dev libsodium-dev libarchive-dev \
      libhowardhinnant-date-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Swagger UI for /docs, compiled into the binary (assets/api-docs/package.json pins it).
RUN cd assets/api-docs && npm ci --ignore-scripts --no-audit --no-fund
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTYTO_BUILD_TESTS=OFF -DTYTO_BUILD_BENCH=OFF \
 && cmake --build /build --target tyto \
 && strip /build/tyto

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 libpq5 libfmt9 libssl3 libsodium23 libarchive13 libdate-tz3 tzdata \
      john-data ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/tyto --create-home --shell /usr/sbin/nologin tyto
COPY --from=build /build/tyto /usr/local/bin/tyto
COPY config/tyto.json /etc/tyto/tyto.json
ENV TYTO_LISTEN=0.0.0.0:8080 \
    TYTO_DATA_DIR=/var/lib/tyto
USER tyto
WORKDIR /var/lib/tyto
VOLUME ["/var/lib/tyto"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tyto"]
CMD ["serve"]
