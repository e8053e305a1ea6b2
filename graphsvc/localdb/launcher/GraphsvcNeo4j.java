import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * graphsvc's local Neo4j: a Neo4j 5 Community DBMS with Bolt and HTTP (Neo4j
 * Browser) on 127.0.0.1, its store in a given folder, running until the
 * process is stopped (SIGTERM shuts the DBMS down cleanly).
 *
 * Usage: GraphsvcNeo4j HOME_DIR BOLT_PORT HTTP_PORT PAGECACHE_MIB
 * The password of the user "neo4j" is read from the environment variable
 * GRAPHSVC_NEO4J_PASSWORD and set on every start (so a changed password file
 * wins). On success one line "graphsvc-neo4j started" is printed.
 */
public final class GraphsvcNeo4j {
    private GraphsvcNeo4j() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: GraphsvcNeo4j HOME_DIR BOLT_PORT HTTP_PORT PAGECACHE_MIB");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int boltPort = Integer.parseInt(args[1]);
        int httpPort = Integer.parseInt(args[2]);
        long pageCacheMib = Long.parseLong(args[3]);
        String password = System.getenv("GRAPHSVC_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("GRAPHSVC_NEO4J_PASSWORD must hold a password of at least 8 characters");
            System.exit(2);
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(HttpConnector.enabled, true)
                .setConfig(HttpConnector.listen_address, new SocketAddress("127.0.0.1", httpPort))
                .setConfig(HttpConnector.advertised_address, new SocketAddress("127.0.0.1", httpPort))
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMib))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "graphsvc-neo4j-shutdown"));

        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException e) {
            // Setting the password it already has is refused; anything else is fatal.
            String message = String.valueOf(e.getMessage());
            if (!message.contains("cannot be the same")) {
                throw e;
            }
        }
        System.out.println("graphsvc-neo4j started bolt=127.0.0.1:" + boltPort + " http=127.0.0.1:" + httpPort);
        System.out.flush();
        stopped.await();
    }
}
