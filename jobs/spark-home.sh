#!/usr/bin/env bash
# A Spark "distribution" made of Maven Central jars, for trying the application jar on another
# Spark version and for the compatibility and YARN tests:
#   jobs/spark-home.sh VERSION DIR      # e.g. jobs/spark-home.sh 4.0.1 /tmp/spark-4.0.1
# DIR/jars links the runtime jars of spark-sql, spark-mllib and spark-yarn (Scala 2.13) at VERSION
# from the local Maven repository (resolved from Maven Central when missing; without spark-yarn
# when Maven Central does not serve it at VERSION, as for 4.1.0, said in DIR/RELEASE); DIR/bin/spark-submit
# runs that version's SparkSubmit with the JVM flags Spark's own launcher adds, and in its own JVM
# the driver's --driver-memory and --driver-java-options (JAVA_HOME picks the
# Java; HADOOP_CONF_DIR, when set, is on the classpath, as bin/spark-class does). Then:
#   SPARK_HOME=DIR jobs/attention.sh ...   or   DIR/bin/spark-submit --master local-cluster[2,1,1024] ...
# A finished DIR (it has a RELEASE file) is left as it is.
set -euo pipefail
if [ "$#" -ne 2 ] || [ "$1" = --help ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ] && exit 0 || exit 2
fi
source "$(dirname "$0")/lib.sh"
version="$1"
mkdir -p "$2"
home="$(cd "$2" && pwd)"
if [ -f "$home/RELEASE" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# pom ARTIFACT...: a pom of the Spark artifacts at VERSION.
pom() {
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
    echo '<groupId>local</groupId><artifactId>spark-home</artifactId><version>1</version><dependencies>'
    for a in "$@"; do
      echo "<dependency><groupId>org.apache.spark</groupId><artifactId>$a</artifactId><version>$version</version></dependency>"
    done
    echo '</dependencies></project>'
  } >"$tmp/pom.xml"
}
# classpath: the pom's runtime classpath into $tmp/classpath.txt.
classpath() {
  mvn -B -q -ntp -Dstyle.color=never -f "$tmp/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$tmp/classpath.txt" >"$tmp/mvn.log" 2>&1
}
echo "[spark-attention] resolving Spark $version from Maven Central into $home ..." >&2
release="Spark $version (Scala 2.13) from Maven Central jars, made by jobs/spark-home.sh"
pom spark-sql_2.13 spark-mllib_2.13 spark-yarn_2.13
if ! classpath; then
  pom spark-sql_2.13 spark-mllib_2.13
  if ! classpath; then
    sed 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" >&2
    echo "error: Spark $version (spark-sql_2.13, spark-mllib_2.13) does not resolve from Maven Central." >&2
    exit 1
  fi
  release="$release; without YARN support (spark-yarn_2.13:$version is not served)"
  echo "[spark-attention] spark-yarn_2.13:$version is not served: this Spark home has no YARN support" >&2
fi
rm -rf "$home/jars" "$home/bin"
mkdir -p "$home/jars" "$home/bin"
tr ':' '\n' <"$tmp/classpath.txt" | while read -r jar || [ -n "$jar" ]; do
  ln -s "$jar" "$home/jars/"
done
cat >"$home/bin/spark-submit" <<EOF
#!/usr/bin/env bash
# Spark $version's SparkSubmit on the Maven jars beside it (made by spark-attention's jobs/spark-home.sh).
SPARK_HOME="\$(cd "\$(dirname "\$0")/.." && pwd)"
export SPARK_HOME SPARK_SCALA_VERSION=2.13
java="\${JAVA_HOME:+\$JAVA_HOME/bin/}java"
# The driver runs in this JVM (client mode): apply --driver-memory and --driver-java-options to
# it, as Spark's own launcher does.
driver=()
args=("\$@")
for ((i = 0; i < \${#args[@]}; i++)); do
  case "\${args[i]}" in
    --driver-memory) driver+=("-Xmx\${args[i + 1]:-}") ;;
    --driver-memory=*) driver+=("-Xmx\${args[i]#*=}") ;;
    --driver-java-options) read -r -a opts <<<"\${args[i + 1]:-}"; driver+=("\${opts[@]}") ;;
  esac
done
exec "\$java" $(jvm_flags) "\${driver[@]}" -cp "\$SPARK_HOME/jars/*\${HADOOP_CONF_DIR:+:\$HADOOP_CONF_DIR}" \\
  org.apache.spark.deploy.SparkSubmit "\$@"
EOF
chmod +x "$home/bin/spark-submit"
echo "$release" >"$home/RELEASE"
