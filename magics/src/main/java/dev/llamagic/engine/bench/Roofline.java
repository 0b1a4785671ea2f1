package dev.llamagic.engine.bench;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * The memory-bandwidth ceiling on decoding: each decode step reads every weight once, so a GPU with
 * bandwidth B (bytes/s) running a model of M bytes takes at most B / M steps per second, and every running
 * sequence gets one token per step. {@code % of roofline = M × (decode tok/s per sequence) ÷ B}. KV-cache
 * reads and activations are ignored, so the true ceiling is a little lower than this one.
 *
 * <p>Bandwidths are the vendor's datasheet figures, matched on the name nvidia-smi prints. A GPU not in the
 * table gets no figure: the column stays empty rather than guessed.
 */
public final class Roofline {
    private Roofline() {}

    /** A known GPU: the pattern its nvidia-smi name matches, its memory bandwidth (GB/s = 1e9 B/s), where it is from. */
    public record Bandwidth(String gpu, Pattern name, double gbPerSecond, String source) {}

    private static Bandwidth bw(String gpu, String regex, double gbs, String source) {
        return new Bandwidth(gpu, Pattern.compile(regex, Pattern.CASE_INSENSITIVE), gbs, source);
    }

    /** First match wins: specific variants come before their family. */
    public static final List<Bandwidth> KNOWN = List.of(
            // NVIDIA H200 Tensor Core GPU datasheet: H200 SXM and H200 NVL 4.8 TB/s
            bw("H200", "\\bH200\\b", 4800, "NVIDIA H200 datasheet (SXM and NVL: 4.8 TB/s)"),
            // NVIDIA H100 Tensor Core GPU datasheet: SXM 3.35 TB/s, PCIe 2 TB/s, NVL 3.9 TB/s
            bw("H100 NVL", "\\bH100 NVL\\b", 3900, "NVIDIA H100 datasheet (H100 NVL: 3.9 TB/s)"),
            bw("H100 PCIe", "\\bH100 PCIe\\b|\\bH100 80GB HBM2e\\b", 2000, "NVIDIA H100 datasheet (H100 PCIe: 2 TB/s)"),
            bw("H100 SXM", "\\bH100 80GB HBM3\\b|\\bH100 SXM", 3350, "NVIDIA H100 datasheet (H100 SXM: 3.35 TB/s)"),
            // NVIDIA H800 PCIe datasheet: 2 TB/s; H800 SXM5 (HGX H800) 3.35 TB/s
            bw("H800 PCIe", "\\bH800 PCIe\\b", 2000, "NVIDIA H800 PCIe datasheet (2 TB/s)"),
            bw("H800 SXM", "\\bH800 80GB HBM3\\b|\\bH800 SXM", 3350, "NVIDIA HGX H800 specification (SXM: 3.35 TB/s)"),
            // NVIDIA H20 (HGX H20, 96 GB HBM3): 4.0 TB/s per NVIDIA's H20 product specification
            bw("H20", "\\bH20\\b", 4000, "NVIDIA HGX H20 product specification (96 GB HBM3, 4.0 TB/s)"),
            // NVIDIA A100 Tensor Core GPU datasheet: 40GB PCIe 1,555 GB/s; 40GB SXM 1,555 GB/s;
            // 80GB PCIe 1,935 GB/s; 80GB SXM 2,039 GB/s. A800 datasheet: the same figures per form factor.
            bw("A100 80GB PCIe", "\\bA[18]00[- ](80GB[- ])?PCIE[- ]80GB\\b|\\bA[18]00 80GB PCIe\\b", 1935,
                    "NVIDIA A100 datasheet (80GB PCIe: 1,935 GB/s)"),
            bw("A100 80GB SXM", "\\bA[18]00[- ]SXM4?[- ]80GB\\b", 2039, "NVIDIA A100 datasheet (80GB SXM: 2,039 GB/s)"),
            bw("A100 40GB", "\\bA[18]00[- ](SXM4?|PCIE)[- ]40GB\\b", 1555, "NVIDIA A100 datasheet (40GB PCIe and SXM: 1,555 GB/s)"),
            // NVIDIA A10 datasheet: 600 GB/s (A10G, AWS's variant, has the same GDDR6 bus: 600 GB/s)
            bw("A10", "\\bA10G?\\b", 600, "NVIDIA A10 datasheet (600 GB/s)"),
            // NVIDIA A30 datasheet: 933 GB/s; A40 datasheet: 696 GB/s
            bw("A30", "\\bA30\\b", 933, "NVIDIA A30 datasheet (933 GB/s)"),
            bw("A40", "\\bA40\\b", 696, "NVIDIA A40 datasheet (696 GB/s)"),
            // NVIDIA T4 datasheet: 320+ GB/s
            bw("T4", "\\bT4\\b", 320, "NVIDIA T4 datasheet (320 GB/s)"),
            // NVIDIA V100 datasheet: V100 PCIe and SXM2 900 GB/s; V100S PCIe 1,134 GB/s
            bw("V100S", "\\bV100S\\b", 1134, "NVIDIA V100S datasheet (1,134 GB/s)"),
            bw("V100", "\\bV100\\b", 900, "NVIDIA V100 datasheet (PCIe and SXM2: 900 GB/s)"),
            // NVIDIA Tesla P100 datasheet: 16GB 732 GB/s, 12GB 549 GB/s
            bw("P100 12GB", "\\bP100-PCIE-12GB\\b", 549, "NVIDIA Tesla P100 datasheet (12GB: 549 GB/s)"),
            bw("P100 16GB", "\\bP100\\b", 732, "NVIDIA Tesla P100 datasheet (16GB: 732 GB/s)"),
            // NVIDIA RTX 6000 Ada Generation datasheet: 960 GB/s; Quadro RTX 6000 (Turing) datasheet: 672 GB/s;
            // NVIDIA RTX A6000 datasheet: 768 GB/s
            bw("RTX 6000 Ada", "\\bRTX 6000 Ada\\b", 960, "NVIDIA RTX 6000 Ada Generation datasheet (960 GB/s)"),
            bw("Quadro RTX 6000", "\\bQuadro RTX 6000\\b", 672, "NVIDIA Quadro RTX 6000 datasheet (Turing, 672 GB/s)"),
            bw("RTX A6000", "\\bRTX A6000\\b", 768, "NVIDIA RTX A6000 datasheet (768 GB/s)"),
            // NVIDIA L4 datasheet: 300 GB/s; L20 datasheet: 864 GB/s; L40 and L40S datasheets: 864 GB/s
            bw("L4", "\\bL4\\b", 300, "NVIDIA L4 datasheet (300 GB/s)"),
            bw("L20", "\\bL20\\b", 864, "NVIDIA L20 datasheet (864 GB/s)"),
            bw("L40/L40S", "\\bL40S?\\b", 864, "NVIDIA L40 / L40S datasheets (864 GB/s)"),
            // GeForce RTX 4090 and 3090 specifications (nvidia.com): 1,008 GB/s and 936 GB/s
            bw("RTX 4090", "\\bRTX 4090\\b", 1008, "NVIDIA GeForce RTX 4090 specifications (1,008 GB/s)"),
            bw("RTX 3090", "\\bRTX 3090\\b(?! Ti)", 936, "NVIDIA GeForce RTX 3090 specifications (936 GB/s)"));

    /** The datasheet bandwidth of a GPU by its nvidia-smi name; empty for a GPU not in the table. */
    public static Optional<Bandwidth> bandwidth(String gpuName) {
        if (gpuName == null || gpuName.isBlank()) return Optional.empty();
        for (Bandwidth b : KNOWN) {
            if (b.name().matcher(gpuName).find()) return Optional.of(b);
        }
        return Optional.empty();
    }

    /**
     * The bandwidth that bounds decoding on these GPUs: one GPU, or several of the same model (a layer split
     * reads each layer on its own GPU, one after the other). Mixed or unknown GPUs: empty.
     */
    public static Optional<Bandwidth> bandwidth(List<String> gpuNames) {
        if (gpuNames.isEmpty()) return Optional.empty();
        String first = gpuNames.get(0);
        for (String n : gpuNames) if (!n.equals(first)) return Optional.empty();
        return bandwidth(first);
    }

    /** {@code modelBytes × tokensPerSecond ÷ bandwidth × 100}; empty when any input is unknown or not positive. */
    public static OptionalDouble percent(long modelBytes, double tokensPerSecond, Optional<Bandwidth> bandwidth) {
        if (bandwidth.isEmpty() || modelBytes <= 0 || !(tokensPerSecond > 0)) return OptionalDouble.empty();
        return OptionalDouble.of(100.0 * modelBytes * tokensPerSecond / (bandwidth.get().gbPerSecond() * 1e9));
    }
}
