# syntax=docker/dockerfile:1
# flowlab: one static binary (server, worker, migrate, dev, client verbs).
# The SQLite store (modernc.org/sqlite) and graph rendering (wazero) are pure
# Go, so the build needs no cgo and the runtime image no libc.
#
#   docker build -t flowlab:local .
#   docker run --rm flowlab:local --help

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/flowlab ./cmd/flowlab

# distroless/static: CA certificates and tzdata, no shell, runs as nonroot
# (uid 65532). Health checks use `flowlab healthcheck URL`.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/flowlab /usr/local/bin/flowlab
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV FLOWLAB_ADDR=:8080 \
    FLOWLAB_LOG_FORMAT=json
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/flowlab"]
CMD ["server"]
