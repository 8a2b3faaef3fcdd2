# Production image: one image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    ACCESSPORTAL_VAR_DIR=/app/var

WORKDIR /app
RUN groupadd --system portal && useradd --system --gid portal --home /app portal

COPY pyproject.toml README.md ./
COPY accessportal ./accessportal
COPY connectors ./connectors
COPY approvals ./approvals
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R portal:portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "accessportal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
