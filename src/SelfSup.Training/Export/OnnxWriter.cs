using System.Runtime.InteropServices;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;

namespace SelfSup.Training;

/// <summary>
/// A ResNet encoder in eval mode as an ONNX model (opset 13, IR version 7): input "input" (N, C, H, W) float with a
/// symbolic batch "N", output "features" (N, F). Each conv + batch norm pair becomes one Conv whose weight and bias
/// carry the BN's running statistics (folded), then Relu, Add for the shortcut, MaxPool for the ImageNet stem,
/// GlobalAveragePool and Flatten. Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto...).
/// </summary>
public static class OnnxWriter
{
    public const int Opset = 13, IrVersion = 7;
    const int FloatType = 1;                                      // TensorProto.DataType.FLOAT
    const int AttrInt = 2, AttrInts = 7;                          // AttributeProto.AttributeType

    /// <summary>The serialised ModelProto; <paramref name="metadata"/> goes to metadata_props.</summary>
    public static byte[] Serialize(ResNet net, int imageSize, IReadOnlyDictionary<string, string> metadata)
    {
        var modules = net.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        var graph = new Graph(modules);
        var x = graph.ConvBn("input", "conv1", "bn1", relu: true);
        if (modules["maxpool"] is MaxPool2d pool)
            x = graph.Node("MaxPool", [x], "maxpool", Ints("kernel_shape", pool.KernelSize, pool.KernelSize),
                Ints("strides", pool.Stride, pool.Stride), Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding));
        foreach (var stage in new[] { "layer1", "layer2", "layer3", "layer4" })
            foreach (var (index, block) in modules[stage].NamedChildren())
                x = graph.Block(x, $"{stage}.{index}", block);
        x = graph.Node("GlobalAveragePool", [x], "avgpool");
        graph.Node("Flatten", [x], "features", Int("axis", 1));

        var inputShape = Shape(Dim("N"), Dim(net.Config.InChannels), Dim(imageSize), Dim(imageSize));
        var g = new ProtoWriter();                                                        // GraphProto
        foreach (var node in graph.Nodes) g.Message(1, node);
        g.String(2, "selfsup_encoder");
        foreach (var init in graph.Initializers) g.Message(5, init);
        g.Message(11, ValueInfo("input", inputShape));
        g.Message(12, ValueInfo("features", Shape(Dim("N"), Dim(net.FeatureDim))));

        var model = new ProtoWriter()                                                     // ModelProto
            .Int64(1, IrVersion)
            .String(2, "selfsup")
            .String(3, typeof(OnnxWriter).Assembly.GetName().Version?.ToString() ?? "0")
            .Message(7, g)
            .Message(8, new ProtoWriter().String(1, "").Int64(2, Opset));               // OperatorSetIdProto
        foreach (var (k, v) in metadata) model.Message(14, new ProtoWriter().String(1, k).String(2, v));
        return model.ToArray();
    }

    /// <summary>
    /// Conv followed by BN in eval mode as one conv: with s = γ / √(var + ε), W' = W·s (per output channel) and
    /// b' = β + (b − mean)·s. Computed in double. Returns W' (O, I, k, k) and b' (O).
    /// </summary>
    public static (Tensor Weight, Tensor Bias) FoldBatchNorm(Conv2d conv, BatchNorm2d bn)
    {
        int outC = conv.OutChannels;
        if (bn.NumFeatures != outC) throw new ArgumentException($"BN of {bn.NumFeatures} features after a conv of {outC} channels");
        var w = conv.Weight.Contiguous().ToArray();
        int per = w.Length / outC;
        var mean = bn.RunningMean.ToArray(); var variance = bn.RunningVar.ToArray();
        var gamma = bn.Weight?.ToArray(); var beta = bn.Bias?.ToArray(); var b = conv.Bias?.ToArray();
        var folded = new float[w.Length];
        var bias = new float[outC];
        for (int o = 0; o < outC; o++)
        {
            double scale = (gamma?[o] ?? 1.0) / Math.Sqrt(variance[o] + (double)bn.Eps);
            for (int i = 0; i < per; i++) folded[o * per + i] = (float)(w[o * per + i] * scale);
            bias[o] = (float)((beta?[o] ?? 0.0) + ((b?[o] ?? 0.0) - mean[o]) * scale);
        }
        return (Tensor.From(folded, conv.Weight.Shape), Tensor.From(bias, outC));
    }

    /// <summary>Nodes and initializers in topological order, each value named after the module that makes it.</summary>
    sealed class Graph(Dictionary<string, Module> modules)
    {
        public List<ProtoWriter> Nodes { get; } = [];
        public List<ProtoWriter> Initializers { get; } = [];

        public string Node(string op, string[] inputs, string output, params ProtoWriter[] attributes)
        {
            var node = new ProtoWriter();                                                 // NodeProto
            foreach (var i in inputs) node.String(1, i);
            node.String(2, output).String(3, output).String(4, op);
            foreach (var a in attributes) node.Message(5, a);
            Nodes.Add(node);
            return output;
        }

        /// <summary>relu?(bn(conv(x))) as a Conv with folded weights (and a Relu).</summary>
        public string ConvBn(string x, string convName, string bnName, bool relu)
        {
            var conv = (Conv2d)modules[convName];
            var (weight, bias) = FoldBatchNorm(conv, (BatchNorm2d)modules[bnName]);
            Initializer($"{convName}.weight", weight);
            Initializer($"{convName}.bias", bias);
            int k = conv.KernelSize, s = conv.Stride, p = conv.Padding;
            var y = Node("Conv", [x, $"{convName}.weight", $"{convName}.bias"], convName,
                Ints("kernel_shape", k, k), Ints("strides", s, s), Ints("pads", p, p, p, p), Int("group", conv.Groups));
            return relu ? Node("Relu", [y], $"{convName}.relu") : y;
        }

        /// <summary>A BasicBlock (two 3×3) or Bottleneck (1×1, 3×3, 1×1) with its shortcut: relu(body(x) + shortcut(x)).</summary>
        public string Block(string x, string name, Module block)
        {
            int convs = block switch
            {
                BasicBlock => 2,
                Bottleneck => 3,
                _ => throw new NotSupportedException($"{name}: {block.GetType().Name} has no ONNX form"),
            };
            var y = x;
            for (int c = 1; c <= convs; c++) y = ConvBn(y, $"{name}.conv{c}", $"{name}.bn{c}", relu: c < convs);
            var identity = modules.ContainsKey($"{name}.downsample") ? ConvBn(x, $"{name}.downsample.0", $"{name}.downsample.1", relu: false) : x;
            var sum = Node("Add", [y, identity], $"{name}.add");
            return Node("Relu", [sum], $"{name}.relu");
        }

        void Initializer(string name, Tensor value)
        {
            var t = new ProtoWriter();                                                    // TensorProto
            foreach (var d in value.Shape) t.Int64(1, d);
            t.Int64(2, FloatType).String(8, name);
            t.Bytes(9, MemoryMarshal.AsBytes(value.Contiguous().Span));                   // raw_data, little-endian
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian");
            Initializers.Add(t);
        }
    }

    static ProtoWriter Int(string name, long value) =>
        new ProtoWriter().String(1, name).Int64(3, value).Int64(20, AttrInt);             // AttributeProto i, type INT

    static ProtoWriter Ints(string name, params long[] values)
    {
        var a = new ProtoWriter().String(1, name);
        foreach (var v in values) a.Int64(8, v);                                          // ints (unpacked, as proto2)
        return a.Int64(20, AttrInts);
    }

    static ProtoWriter Dim(long value) => new ProtoWriter().Int64(1, value);                // Dimension.dim_value
    static ProtoWriter Dim(string param) => new ProtoWriter().String(2, param);             // Dimension.dim_param

    static ProtoWriter Shape(params ProtoWriter[] dims)
    {
        var shape = new ProtoWriter();                                                    // TensorShapeProto
        foreach (var d in dims) shape.Message(1, d);
        return shape;
    }

    /// <summary>ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type FLOAT, shape } } }.</summary>
    static ProtoWriter ValueInfo(string name, ProtoWriter shape) => new ProtoWriter()
        .String(1, name)
        .Message(2, new ProtoWriter().Message(1, new ProtoWriter().Int64(1, FloatType).Message(2, shape)));
}
