# Build stage: the same release build as CI.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY config config
RUN cargo build --release --locked

# Runtime stage: the binary, the example config, a non-root user.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/volley --create-home volley
COPY --from=build /src/target/release/volley /usr/local/bin/volley
COPY config/volley.toml /etc/volley/volley.toml
USER volley
WORKDIR /var/lib/volley
# Game port: WebSocket on TCP, fast channel on UDP.
EXPOSE 1935/tcp 1935/udp
ENTRYPOINT ["volley"]
CMD ["serve", "--config", "/etc/volley/volley.toml", "--listen", "0.0.0.0:1935"]
