FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# pg_dump/pg_restore for manage.py backup / verify_restore; a CJK font for PDF reports and notices.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY credit_portal ./credit_portal
COPY apps ./apps
RUN pip install --no-cache-dir -e .
COPY . .
RUN useradd --system --uid 1000 credit && mkdir -p /srv/static /srv/private && chown -R credit /srv
USER credit
EXPOSE 8000
