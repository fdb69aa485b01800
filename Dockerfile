# syntax=docker/dockerfile:1.7
# PromptSales: one image with every binary (mcp-content, mcp-ads, mcp-crm,
# mcp-analytics, promptsales) in /usr/local/bin, run as a non-root user.
#
#   docker build -t ghcr.io/OWNER/promptsales:0.1.0 .
#   docker build --build-arg SERVER=mcp-crm -t ghcr.io/OWNER/promptsales-mcp-crm:0.1.0 .
#   docker build --target ops -t ghcr.io/OWNER/promptsales-ops:0.1.0 .
#
# SERVER picks the entrypoint and the `io.modelcontextprotocol.server.name`
# label the MCP Registry checks against each server.json (one label value per
# image, so the registry gets one tag per server; the layers are shared).
# Kubernetes names the binary in `command`, so any variant serves there.
# The `ops` target adds the PostgreSQL 17 client (pg_dump/pg_restore) for the
# backup and restore Jobs; the default (last) target is the distroless one.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-trixie AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the compiled dependencies between builds
# (https://docs.docker.com/build/cache/optimize/#use-cache-mounts), so a
# source change recompiles only the workspace crates. The binaries are copied
# out of the cache mount, which does not survive the RUN.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --workspace --bins \
 && mkdir -p /out/bin \
 && for b in mcp-content mcp-ads mcp-crm mcp-analytics promptsales; do \
      install -m 0755 "target/release/$b" /out/bin/; \
    done

# The entrypoint of this variant: a symlink, so the binary is not copied twice.
FROM build AS select
ARG SERVER=mcp-analytics
RUN case "$SERVER" in \
      mcp-content|mcp-ads|mcp-crm|mcp-analytics|promptsales) ;; \
      *) echo "SERVER must be one of mcp-content, mcp-ads, mcp-crm, mcp-analytics, promptsales" >&2; exit 1 ;; \
    esac \
 && ln -s "$SERVER" /out/bin/entrypoint \
 && mkdir -p /out/data

# Just the binaries, for `docker buildx build --target binaries --output
# type=local,dest=DIR .` (the release's .mcpb bundles).
FROM scratch AS binaries
COPY --from=build /out/bin/ /

# Backups: the same binaries beside pg_dump/pg_restore. trixie ships
# PostgreSQL 17, the major version of the CloudNativePG cluster (pg_dump must
# be at least the server's major version).
FROM debian:trixie-slim AS ops
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates postgresql-client-17 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 promptsales \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/promptsales --create-home promptsales
COPY --from=select /out/bin/ /usr/local/bin/
USER 65532:65532
WORKDIR /var/lib/promptsales
ENV PROMPTSALES_DATA_DIR=/var/lib/promptsales
ENTRYPOINT ["/usr/local/bin/promptsales"]

# Runtime: glibc, libgcc, CA certificates and tzdata, no shell; the same
# Debian release as the builder so the glibc the binaries link against is
# there. `nonroot` is uid/gid 65532.
FROM gcr.io/distroless/cc-debian13:nonroot AS runtime
ARG SERVER=mcp-analytics
ARG GITHUB_OWNER=promptsales
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/promptsales/promptsales
LABEL org.opencontainers.image.title="promptsales" \
      org.opencontainers.image.description="PromptSales MCP servers (content, ads, crm, analytics) and the promptsales agent/CLI" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}#deployment" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="PromptSales" \
      io.modelcontextprotocol.server.name="io.github.${GITHUB_OWNER}/${SERVER}"
COPY --from=select /out/bin/ /usr/local/bin/
COPY --from=select --chown=65532:65532 /out/data/ /var/lib/promptsales/
USER 65532:65532
WORKDIR /var/lib/promptsales
# SQLite files and generated assets when no DATABASE_URL is given (a volume
# in Kubernetes, where the root filesystem is read-only).
ENV PROMPTSALES_DATA_DIR=/var/lib/promptsales \
    PROMPTSALES_LOG_FORMAT=json
EXPOSE 8080
# stdio by default (`docker run -i`), as MCP hosts and the MCP Registry expect;
# `--transport http --bind 0.0.0.0:8080` (or PROMPTSALES_TRANSPORT/…_BIND) for HTTP.
ENTRYPOINT ["/usr/local/bin/entrypoint"]
