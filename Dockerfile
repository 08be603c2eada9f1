# workshop-bot in a container. `docker compose up -d` builds and starts it (see compose.yaml);
# by hand: docker build -t workshop-bot . && docker run -d --env-file .env -v workshop-data:/data workshop-bot
# The image holds the installed wheel and nothing else of the sources; answers live in /data.

# Stage 1: build the wheel; content/ and prompts/ go inside it (setup.py maps them).
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# Stage 2: the wheel installed on a clean slim Python, run by an unprivileged user.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DATABASE_PATH=/data/workshop.db
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && groupadd --system --gid 10001 workshop \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin workshop \
    && mkdir /data \
    && chown workshop:workshop /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# docker stop / compose down send SIGTERM: the bot leaves the gateway, lets the answers in flight
# finish and closes the database within 9 s (compose.yaml waits 15 s before SIGKILL).
STOPSIGNAL SIGTERM
ENTRYPOINT ["workshop-bot"]
CMD ["run"]
