using System.Buffers.Binary;
using System.Text;
using SelfSup.Engine;

namespace SelfSup.Training.Tests;

/// <summary>A protobuf message read field by field (test side, independent of ProtoWriter): varints, fixed32/64, bytes.</summary>
sealed class ProtoMessage
{
    readonly List<(int Field, ulong Value, byte[]? Bytes)> fields = [];

    public ProtoMessage(ReadOnlySpan<byte> data)
    {
        int at = 0;
        while (at < data.Length)
        {
            ulong key = ReadVarint(data, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, ReadVarint(data, ref at), null)); break;
                case 1: fields.Add((field, BinaryPrimitives.ReadUInt64LittleEndian(data[at..]), null)); at += 8; break;
                case 5: fields.Add((field, BinaryPrimitives.ReadUInt32LittleEndian(data[at..]), null)); at += 4; break;
                case 2:
                    int length = checked((int)ReadVarint(data, ref at));
                    fields.Add((field, 0, data.Slice(at, length).ToArray()));
                    at += length;
                    break;
                default: throw new InvalidDataException($"wire type {wire} of field {field} at byte {at}");
            }
        }
    }

    static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    public long Int(int field) => (long)fields.Single(f => f.Field == field).Value;
    public long[] Ints(int field) => [.. fields.Where(f => f.Field == field).Select(f => (long)f.Value)];
    public byte[] Bytes(int field) => fields.Single(f => f.Field == field).Bytes!;
    public string String(int field) => Encoding.UTF8.GetString(Bytes(field));
    public string[] Strings(int field) => [.. fields.Where(f => f.Field == field).Select(f => Encoding.UTF8.GetString(f.Bytes!))];
    public ProtoMessage Message(int field) => new(Bytes(field));
    public ProtoMessage[] Messages(int field) => [.. fields.Where(f => f.Field == field).Select(f => new ProtoMessage(f.Bytes!))];
    public bool Has(int field) => fields.Any(f => f.Field == field);
}

/// <summary>The parts of an ONNX ModelProto the tests look at (field numbers from onnx.proto).</summary>
sealed record OnnxNode(string Op, string[] Inputs, string Output, Dictionary<string, long[]> Attributes);

sealed class OnnxModel
{
    public long IrVersion { get; }
    public long Opset { get; }
    public List<OnnxNode> Nodes { get; } = [];
    public Dictionary<string, Tensor> Initializers { get; } = [];
    public Dictionary<string, string> Metadata { get; } = [];
    /// <summary>Graph inputs and outputs: name → dims (a dim_param as null).</summary>
    public Dictionary<string, long?[]> Inputs { get; } = [];
    public Dictionary<string, long?[]> Outputs { get; } = [];

    public OnnxModel(byte[] bytes)
    {
        var model = new ProtoMessage(bytes);
        IrVersion = model.Int(1);
        Opset = model.Message(8).Int(2);
        foreach (var p in model.Messages(14)) Metadata[p.String(1)] = p.String(2);
        var graph = model.Message(7);
        foreach (var n in graph.Messages(1))
        {
            var attributes = n.Messages(5).ToDictionary(a => a.String(1), a => a.Int(20) == 2 ? [a.Int(3)] : a.Ints(8));
            Nodes.Add(new OnnxNode(n.String(4), n.Strings(1), n.Strings(2).Single(), attributes));
        }
        foreach (var t in graph.Messages(5))
        {
            if (t.Int(2) != 1) throw new InvalidDataException("initializer is not FLOAT");
            var raw = t.Bytes(9);
            var values = new float[raw.Length / 4];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
            Initializers[t.String(8)] = Tensor.From(values, [.. t.Ints(1).Select(d => (int)d)]);
        }
        foreach (var (field, target) in new[] { (11, Inputs), (12, Outputs) })
            foreach (var v in graph.Messages(field))
            {
                var tensorType = v.Message(2).Message(1);
                if (tensorType.Int(1) != 1) throw new InvalidDataException("graph value is not FLOAT");
                target[v.String(1)] = [.. tensorType.Message(2).Messages(1).Select(d => d.Has(1) ? d.Int(1) : (long?)null)];
            }
    }

    /// <summary>Evaluates the graph with the engine's ops (the op types a ResNet export uses; symmetric pads only).</summary>
    public Tensor Run(Tensor input)
    {
        var values = new Dictionary<string, Tensor>(Initializers) { [Inputs.Keys.Single()] = input };
        foreach (var n in Nodes)
        {
            Tensor x = values[n.Inputs[0]];
            values[n.Output] = n.Op switch
            {
                "Conv" => Ops.Conv2d(x, values[n.Inputs[1]], values[n.Inputs[2]], (int)n.Attributes["strides"][0], (int)n.Attributes["pads"][0]),
                "Relu" => Ops.Relu(x),
                "Add" => Ops.Add(x, values[n.Inputs[1]]),
                "MaxPool" => Ops.MaxPool2d(x, (int)n.Attributes["kernel_shape"][0], (int)n.Attributes["strides"][0], (int)n.Attributes["pads"][0]),
                "GlobalAveragePool" => Ops.AdaptiveAvgPool2d(x, 1, 1),
                "Flatten" => Ops.Flatten(x, (int)n.Attributes["axis"][0]),
                _ => throw new NotSupportedException(n.Op),
            };
        }
        return values[Outputs.Keys.Single()];
    }
}
