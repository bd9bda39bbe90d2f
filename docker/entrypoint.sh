#!/bin/sh
# Starts Streamlearn with the JVM flags of pom.xml's sl.jvmFlags (DockerFilesTest checks that they
# match); /app/jvm-modules holds "--add-modules jdk.incubator.vector" when the runtime has it.
# JAVA_OPTS adds heap and GC options; the arguments go to Main (default: run --config ...).
set -eu
# shellcheck disable=SC2046,SC2086
exec java $(cat /app/jvm-modules) --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
  -XX:CompileCommand=quiet '-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*' \
  ${JAVA_OPTS:-} -cp '/app/lib/*' org.streamlearn.app.Main "$@"
