FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
RUN SECRET_KEY=build python manage.py collectstatic --no-input
RUN useradd --system portal && mkdir -p /var/lib/zhenhai/media && chown portal /var/lib/zhenhai/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "zhenhai_so.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
