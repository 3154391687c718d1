# syntax=docker/dockerfile:1
# invoicelake: a static Go binary (CGO_ENABLED=0) in a distroless image that
# runs as the numeric non-root user 65532. Needs BuildKit (the default builder).
#
#   make image        # = docker build --build-arg VERSION=... --build-arg COMMIT=... --build-arg BUILD_DATE=...
#   docker buildx build --platform linux/amd64,linux/arm64 ...   # cross-compiled, no emulation
#
# VERSION defaults to the release this tree prepares (the Makefile's RELEASE, the
# manifests' image tag; a test keeps them equal); make passes the git version.
#
# For reproducible builds pin both base images by digest (name:tag@sha256:...).

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=0.2.0
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
WORKDIR /src
COPY . .
# Modules are fetched by go build itself: only those the binary needs, not the
# test-only ones (DuckDB's native libraries). Both caches survive rebuilds.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" \
      -o /out/invoicelake ./cmd/invoicelake

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell, no
# package manager. The :nonroot tag already defaults to 65532; USER repeats it
# numerically so that runAsNonRoot can verify it without a name lookup.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=0.2.0
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="invoicelake" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.description="IBM Cloud Classic (SoftLayer) invoices to a Hive-partitioned Parquet lake" \
      org.opencontainers.image.source="https://github.com/invoicelake/invoicelake"
COPY --from=build /out/invoicelake /invoicelake
USER 65532:65532
ENTRYPOINT ["/invoicelake"]
