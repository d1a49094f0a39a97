// Package deploy holds the checks of flowlab's deployment files (the
// repository's docker-compose.yml and Dockerfile). It has tests only: the
// compose file is loaded with the Compose Specification's own loader
// (compose-go, what `docker compose config` runs), so the check needs no
// Docker engine, and it lives apart from cmd/flowlab to keep that loader
// out of the command's test binary.
package deploy
