# A tenure worker image: `docker build -t tenure .`
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tenure ./tenure
RUN pip install --no-cache-dir ".[s3]"
# Where sessions work: mount the files there and give SessionConfig.workspace (or
# `tenure run --workspace`) a path under /workspace.
WORKDIR /workspace
ENV TEMPORAL_ADDRESS=temporal:7233 TENURE_TASK_QUEUE=tenure
CMD ["tenure", "worker"]
