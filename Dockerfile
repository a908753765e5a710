# syntax=docker/dockerfile:1
# MedNode container image, CPU build. NOT BUILT in the development environment (it has no Docker engine); the test
# tests/MedNode.Host.Tests/DeploymentTests.cs checks that the runtime stage installs every native library the code loads.
#   docker build -t mednode .
#   docker run -p 8080:8080 -p 11112:11112 -v mednode-data:/data mednode
# The GPU variant (CUDA 13 + cuDNN 9, ONNX Runtime's CUDA build) is Dockerfile.gpu.

# ---- build: restore against the committed lock files, publish framework-dependent ----------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MedNode.Host -c Release -o /app --no-self-contained -p:RestoreLockedMode=true \
 && cp -r models /app/models

# ---- runtime: ASP.NET Core runtime, the native codec libraries, a non-root user -------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# Native libraries MedNode loads (src/MedNode.Dicom.Native/NativeCodecLibrary.cs):
#   libopenjp2-7  libopenjp2.so.7  JPEG 2000 / HTJ2K (OpenJPEG >= 2.5)
#   libcharls2    libcharls.so.2   JPEG-LS (CharLS 2.x)
# ONNX Runtime ships its own libonnxruntime.so in the published output (needs only libstdc++, already in the image).
# curl serves the HEALTHCHECK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenjp2-7 libcharls2 curl \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 mednode \
 && useradd --system --uid 10001 --gid mednode --home-dir /data --shell /usr/sbin/nologin mednode \
 && mkdir -p /data && chown mednode:mednode /data
COPY --from=build /app /app
WORKDIR /data
USER mednode:mednode
# Settings in the ASP.NET Core environment convention (docs/configuration.md); the index is SQLite under /data unless
# MedNode__Database__Provider=PostgreSQL and a connection string are given (docker-compose.yml does).
# MedNode:Models:Path is relative: looked up in /data, then beside the program (/app/models, the bundled models).
# "Urls", not ASPNETCORE_URLS: the shipped appsettings.json sets Urls (127.0.0.1:8080) and outranks ASPNETCORE_* variables.
ENV Urls=http://0.0.0.0:8080 \
    MedNode__Dimse__BindAddress=0.0.0.0 \
    MedNode__Dimse__Port=11112 \
    MedNode__Dimse__StoragePath=/data/store \
    MedNode__Database__ConnectionString="Data Source=/data/mednode.db" \
    MedNode__Logging__FilePath=/data/logs/mednode-.json
VOLUME ["/data"]
EXPOSE 8080 11112
# Readiness (database, storage above its watermark, DIMSE listener, models), not only liveness: an orchestrator should
# see a node that cannot store as unhealthy. docs/configuration.md, "Operations endpoints".
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/health/ready || exit 1
# SIGTERM stops the node gracefully (stop accepting, finish in-flight C-STOREs); give it the host's 30 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/mednode.dll", "serve"]
