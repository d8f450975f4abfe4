# Volley in a container. Build: `docker build -t volley .`; run: see README.md, "Docker".

# Build stage: the release build of the README, from the locked dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# The agones crate (the Agones SDK) compiles its protos with protoc at build time.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        protobuf-compiler libprotobuf-dev \
    && rm -rf /var/lib/apt/lists/*
# The shipped binary carries no symbols or debug information: a much smaller image. Builds
# outside the image keep the line tables of [profile.release] for backtraces.
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
COPY Cargo.toml Cargo.lock ./
COPY benches benches
COPY src src
# The operator console, built and committed (console/dist), is embedded in the binary.
COPY console/dist console/dist
RUN cargo build --release --locked

# Runtime stage: the binary, a config for containers, a non-root user, script data in a volume.
FROM debian:bookworm-slim
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/volley --no-create-home \
        --shell /usr/sbin/nologin volley \
    && install -d -o volley -g volley /var/lib/volley
COPY --from=build /src/target/release/volley /usr/local/bin/volley
COPY config/docker.toml /etc/volley/volley.toml
USER volley
WORKDIR /var/lib/volley
# Script resources live in data/ under the working directory (scripts.data_dir).
VOLUME ["/var/lib/volley"]
# Game port: WebSocket on TCP, fast channel on UDP; then the control API.
EXPOSE 1935/tcp 1935/udp 8080/tcp
# The image has no curl: the binary asks its own /health.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["volley", "health", "--endpoint", "http://127.0.0.1:8080", "--timeout-secs", "4"]
# SIGTERM starts a drain (server.drain_grace_secs, 60): `docker stop --time 90`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["volley"]
CMD ["serve", "--config", "/etc/volley/volley.toml"]
