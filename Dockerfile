# The graphsvc API. Used by docker-compose.yml, which supplies NEO4J_URI.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
COPY cypher ./cypher
RUN pip install --no-cache-dir .
EXPOSE 8765
CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8765"]
