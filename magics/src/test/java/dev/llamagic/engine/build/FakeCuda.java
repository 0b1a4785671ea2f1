package dev.llamagic.engine.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A directory of fake {@code nvcc} and {@code nvidia-smi} shell scripts printing what the real ones print, for
 * planning CUDA builds on a machine without a GPU or toolkit.
 */
final class FakeCuda {
    final Path root;
    final Path bin;

    FakeCuda(Path root) throws IOException {
        this.root = root;
        this.bin = Files.createDirectories(root.resolve("bin"));
        gxx(bin.resolve("g++"), "12.2.0");
    }

    /** A g++ answering {@code -dumpversion} with {@code version}. */
    static Path gxx(Path p, String version) throws IOException {
        Files.createDirectories(p.getParent());
        script(p, """
                #!/bin/sh
                [ "$1" = "-dumpversion" ] && { echo %s; exit 0; }
                exit 1
                """.formatted(version));
        return p;
    }

    /** An nvcc of this release at {@code dir/bin/nvcc}; returns its path. */
    static Path nvcc(Path dir, String release) throws IOException {
        Path p = Files.createDirectories(dir.resolve("bin")).resolve("nvcc");
        script(p, """
                #!/bin/sh
                if [ "$1" = "--version" ]; then
                cat <<'OUT'
                nvcc: NVIDIA (R) Cuda compiler driver
                Copyright (c) 2005-2024 NVIDIA Corporation
                Built on Thu_Mar_28_02:18:24_PDT_2024
                Cuda compilation tools, release %s, V%s.131
                Build cuda_%s.r%s/compiler.34097967_0
                OUT
                exit 0
                fi
                echo "nvcc fatal   : No input files specified; use option --help for more information" >&2
                exit 1
                """.formatted(release, release, release, release));
        return p;
    }

    /** nvidia-smi on this fake's bin dir listing these GPUs ("NVIDIA A10, 8.6": name, compute capability) under a driver for {@code driverCuda}. */
    FakeCuda smi(String driverCuda, String... gpus) throws IOException {
        StringBuilder csv = new StringBuilder();
        for (String g : gpus) csv.append(g).append('\n');
        script(bin.resolve("nvidia-smi"), """
                #!/bin/sh
                case "$1" in
                  --query-gpu=name,compute_cap) printf '%s'; exit 0;;
                  --query-gpu=*) echo "unexpected $1" >&2; exit 2;;
                esac
                cat <<'OUT'
                Tue Dec  1 21:00:00 2026
                +-----------------------------------------------------------------------------------------+
                | NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: %s     |
                |-----------------------------------------+------------------------+----------------------+
                | GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
                +-----------------------------------------+------------------------+----------------------+
                OUT
                """.formatted(csv.toString().replace("'", "'\\''").replace("%", "%%"), driverCuda));
        return this;
    }

    /** nvidia-smi as it is on a machine whose driver is not loaded. */
    FakeCuda smiWithoutDriver() throws IOException {
        script(bin.resolve("nvidia-smi"), """
                #!/bin/sh
                echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
                exit 9
                """);
        return this;
    }

    /** An environment whose PATH holds only this fake's bin dir (a real nvidia-smi in /usr/bin stays out of sight). */
    Map<String, String> env(String... extra) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin.toString());
        for (int i = 0; i + 1 < extra.length; i += 2) env.put(extra[i], extra[i + 1]);
        return env;
    }

    private static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
