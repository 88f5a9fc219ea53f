using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("SelfSup.Vision.Tests")]
