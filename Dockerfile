# syntax=docker/dockerfile:1
# Mumaris: one image for the four services and the CLI (`mumaris run <service>`,
# `mumaris topics create`). Used by compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# OCR and PDF rasterising for the validator's document checks; the face with Arabic letters that
# intake sets registration cards in (services/intake/register/card_pdf.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr \
        tesseract-ocr-ara \
        tesseract-ocr-eng \
        poppler-utils \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 mumaris \
    && useradd --system --uid 10001 --gid mumaris --create-home --home-dir /home/mumaris \
        --shell /usr/sbin/nologin mumaris

WORKDIR /app

# Dependencies first (their own layer: source changes do not reinstall them), read from the
# exact pins in pyproject.toml.
COPY pyproject.toml README* ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself.
COPY mumaris ./mumaris
COPY schemas ./schemas
COPY services ./services
RUN pip install . \
    && rm -rf build ./*.egg-info

USER mumaris:mumaris
WORKDIR /home/mumaris

CMD ["mumaris", "--help"]
