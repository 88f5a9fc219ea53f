using System.Text;
using Xunit;

namespace SelfSup.Vision.Tests;

public class Crc32Tests
{
    [Fact]
    public void CheckValuesOfBothPolynomials()
    {
        var text = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xCBF43926u, Crc32.Iso.Compute(text));
        Assert.Equal(0xE3069283u, Crc32.Castagnoli.Compute(text));
    }

    [Fact]
    public void AppendingInPiecesEqualsOneComputation()
    {
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(Crc32.Iso.Compute(bytes), Crc32.Iso.Append(Crc32.Iso.Compute(bytes.AsSpan(0, 123)), bytes.AsSpan(123)));
    }
}
