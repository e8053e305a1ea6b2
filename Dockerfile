# The graphsvc API and worker image (docker-compose.yml runs both from it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
COPY cypher ./cypher
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 graphsvc
# Not root: a compromised process gets an unprivileged user's rights in the container.
USER graphsvc
WORKDIR /home/graphsvc
EXPOSE 8765
CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8765"]
