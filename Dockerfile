# A tenure worker image: `docker build -t tenure .`
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tenure ./tenure
RUN pip install --no-cache-dir .
RUN mkdir -p /workspace
ENV TEMPORAL_ADDRESS=temporal:7233 TENURE_TASK_QUEUE=tenure
CMD ["tenure", "worker"]
