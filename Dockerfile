# syntax=docker/dockerfile:1
# Multi-stage build of the flowlab binary.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/flowlab ./cmd/flowlab

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/flowlab /usr/local/bin/flowlab
ENTRYPOINT ["/usr/local/bin/flowlab"]
