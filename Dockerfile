# The daemon as a container image (Debian 12 base, like the Debian package):
#
#   docker build -t beachhead-companion .
#   docker run -d --name beachhead --restart unless-stopped \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     --network host beachhead-companion --enumerate --redis-host 127.0.0.1
#
# The daemon runs as the unprivileged user beachhead (uid 10001).  It needs
# only the engine's socket: `--group-add` the group that owns the socket on
# the host (docker on Debian), never root.  Configuration: arguments after
# the image name, or a file mounted over /etc/beachhead.conf (the sample
# shipped here equals the defaults).  Plugins: /usr/local/lib/beachhead-companion.
# The daemon's state directory /var/lib/beachhead-companion is the user's: a
# volume there (-v beachhead-state:/var/lib/beachhead-companion) keeps it
# when the container is re-created.
# More in docs/OPERATIONS.md ("The container image").

# --- build: the same commands as README's build by hand ---------------------
FROM debian:bookworm-slim AS build
WORKDIR /src
# The package list first: this layer stays cached while the sources change.
COPY tools/setup-debian.sh tools/setup-debian.sh
RUN sh tools/setup-debian.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN autoreconf -fi && mkdir -p _build && cd _build && \
    ../configure -q --sysconfdir=/etc && \
    make -j"$(nproc)" && \
    make install DESTDIR=/out && \
    find /out -name '*.la' -delete

# --- runtime: the shared libraries the daemon and its plugins link ----------
FROM debian:bookworm-slim
RUN apt-get update && \
    apt-get install -y --no-install-recommends \
        libhiredis0.14 libcurl4 libjson-c5 libconfig9 libsystemd0 libmicrohttpd12 && \
    apt-get clean && rm -rf /var/lib/apt/lists/* && \
    groupadd --system --gid 10001 beachhead && \
    useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin beachhead && \
    install -d -o 10001 -g 10001 -m 0750 /var/lib/beachhead-companion
COPY --from=build /out/usr/local/sbin/beachhead-companion /usr/local/sbin/
COPY --from=build /out/usr/local/lib/beachhead-companion/ /usr/local/lib/beachhead-companion/
COPY --from=build /out/etc/beachhead.conf /etc/beachhead.conf
USER 10001:10001
# SIGTERM: the daemon stops its loop and exits 0 (docker stop).
STOPSIGNAL SIGTERM
# Readiness: the daemon serves /metrics, /healthz and /readyz on the
# container's loopback (the host's with --network host); -e
# BEACHHEAD_METRICS_LISTEN=0.0.0.0:9477 lets Prometheus scrape it from
# elsewhere.  The health check is the daemon's own --health-check (no curl
# here): it reads the same variable, asks /readyz, exits 0 on 200 (the
# engine answers, full passes complete, every publisher connected).
ENV BEACHHEAD_METRICS_LISTEN=127.0.0.1:9477
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/sbin/beachhead-companion", "--health-check"]
ENTRYPOINT ["/usr/local/sbin/beachhead-companion"]
CMD ["--enumerate"]
