# MedNode container image (CPU). Not built in this development environment (no Docker engine here).
# Build: docker build -t mednode .      Run: docker run -p 8080:8080 -p 11112:11112 -v mednode-data:/data mednode

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MedNode.Host -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# Native codec libraries loaded through P/Invoke (JPEG 2000/HTJ2K: libopenjp2.so.7, JPEG-LS: libcharls.so.2),
# and curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenjp2-7 libcharls2 curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home /data mednode && mkdir -p /data && chown mednode /data
WORKDIR /data
COPY --from=build /app /app
# The bundled models (found beside the program: MedNode:Models:Path is relative, looked up in /data then /app).
COPY --from=build /src/models /app/models
USER mednode
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    MedNode__Dimse__BindAddress=0.0.0.0 \
    MedNode__Dimse__StoragePath=/data/store \
    MedNode__Database__ConnectionString="Data Source=/data/mednode.db"
EXPOSE 8080 11112
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "/app/mednode.dll", "serve"]
