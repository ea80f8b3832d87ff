package io.kopnative;

import java.io.File;
import java.net.URL;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every class of the shim up front. Pulsar closes a protocol handler's NAR class loader
 * when it closes the handler, before it unloads the broker's bundles; callbacks still running
 * then (a read completing, a bundle leaving) would fail with NoClassDefFoundError on the first
 * use of a class not loaded yet. A class loaded here stays usable after the loader closes.
 */
final class ClassPreloader {
    private static final Logger log = LoggerFactory.getLogger(ClassPreloader.class);
    private static final String PREFIX = "io/kopnative/";

    private ClassPreloader() {
    }

    /** The number of classes loaded; 0 when the shim is not in a jar (unit tests run from classes). */
    static int preload() {
        ClassLoader loader = ClassPreloader.class.getClassLoader();
        URL location = ClassPreloader.class.getProtectionDomain().getCodeSource() == null ? null
                : ClassPreloader.class.getProtectionDomain().getCodeSource().getLocation();
        if (location == null || !location.getPath().endsWith(".jar")) {
            return 0;
        }
        int n = 0;
        try (JarFile jar = new JarFile(new File(location.toURI()))) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                String name = e.nextElement().getName();
                if (name.startsWith(PREFIX) && name.endsWith(".class")) {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                    n++;
                }
            }
        } catch (Exception | LinkageError e) {
            log.warn("kop-native: preloading the shim's classes from {} stopped: {}", location, e.toString());
        }
        log.debug("kop-native: preloaded {} classes", n);
        return n;
    }
}
