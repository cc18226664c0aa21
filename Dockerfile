# The vibetesting-ci image: the GitHub Action's container, and a ready-made image for GitLab
# CI, Jenkins or any docker host.
#   docker build -t vibetesting-ci .
#   docker run --rm -e VIBETESTING_API_TOKEN -v "$PWD:/github/workspace" vibetesting-ci   # run
#   docker run --rm -e VIBETESTING_API_TOKEN vibetesting-ci status 123                  # any command
# Every dependency is pinned by hash (requirements/*.txt, from `bash .ci/lint.sh --update-lock`).
# It runs as root on purpose: GitHub runs container actions as root and mounts the workspace
# and its command files owned by the runner's user.

# Build stage: the project's wheel, built with a hash-pinned setuptools and no build isolation
# (so nothing unpinned is fetched).
FROM python:3.12-slim AS build
WORKDIR /src
COPY requirements/build.txt /tmp/build.txt
ENV PIP_ROOT_USER_ACTION=ignore
RUN pip install --no-cache-dir --disable-pip-version-check --require-hashes -r /tmp/build.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation \
        --wheel-dir /dist .

FROM python:3.12-slim
LABEL org.opencontainers.image.title="vibetesting-ci" \
      org.opencontainers.image.description="Run VibeTesting AI test runs and suites from CI: trigger, wait, JUnit, PDF report, exit code." \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
# Pinned dependencies first (a layer that changes only with the lock), then the project itself
# with --no-deps; `pip check` proves the lock covers everything the project needs.
# (COPY rather than RUN --mount, so the legacy builder of older Docker engines builds it too.)
COPY requirements/runtime.txt /tmp/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/runtime.txt && rm /tmp/runtime.txt
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/vibetesting_ci-*.whl \
    && rm -rf /tmp/dist \
    && pip check \
    && vibetesting --version
COPY entrypoint.sh /entrypoint.sh
WORKDIR /github/workspace
ENTRYPOINT ["/entrypoint.sh"]
