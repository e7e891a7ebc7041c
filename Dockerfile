# syntax=docker/dockerfile:1
# picpipe: one image for every role (serve, api, worker, scheduler,
# dashboard, migrate, keys). Build: docker build -t picpipe .

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvips-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/picpipe ./cmd/picpipe

FROM debian:bookworm-slim
# libvips42 brings libheif (HEIC/AVIF), libwebp, libjpeg and libpng.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvips42 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/picpipe --shell /usr/sbin/nologin picpipe \
 && mkdir -p /var/lib/picpipe/blobs \
 && chown -R picpipe:picpipe /var/lib/picpipe
COPY --from=build /out/picpipe /usr/local/bin/picpipe
USER picpipe
WORKDIR /var/lib/picpipe
# MALLOC_ARENA_MAX keeps glibc from fragmenting memory across libvips threads.
ENV PICPIPE_DATA_DIR=/var/lib/picpipe \
    PICPIPE_ADDR=:8080 \
    PICPIPE_LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2
EXPOSE 8080
ENTRYPOINT ["picpipe"]
CMD ["serve"]
