# One image for the three services; docker-compose.yml picks the app with `command`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the project itself (the same pyproject.toml `make install` uses), then drop the
# sources: the services run from the installed package. The evidence folder exists in the
# image, owned by the service user: a new named volume mounted there takes that ownership.
# 公文 PDFs (WeasyPrint): pango, HarfBuzz's subsetter and the CJK fonts the documents use.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-noto-cjk fontconfig \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY ops ./ops
RUN pip install . \
    && rm -rf /src \
    && useradd --create-home --uid 10001 duban \
    && mkdir -p /app/var/evidence && chown -R duban /app/var

WORKDIR /app
USER duban
EXPOSE 8000 8001 8002
CMD ["uvicorn", "--factory", "services.hazard_api.main:create_app", "--host", "0.0.0.0", "--port", "8000"]
