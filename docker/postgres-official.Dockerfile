# The official postgres image in place of docker/postgres.Dockerfile, where a registry is reachable
# (docker/docker-compose.postgres-official.yml builds this). Its entrypoint reads the same
# POSTGRES_USER, POSTGRES_DB and POSTGRES_PASSWORD_FILE.
FROM postgres:15
