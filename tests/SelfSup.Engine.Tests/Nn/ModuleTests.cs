using SelfSup.Engine;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class ModuleTests
{
    /// <summary>A two-level module: own parameter and buffer, then children (one of them nested).</summary>
    sealed class Toy : UnaryModule
    {
        public readonly Tensor Scale;
        public readonly Linear First;
        public readonly Sequential Rest;

        public Toy(Generator rng)
        {
            First = Child("first", new Linear(4, 3, rng));
            Scale = Parameter("scale", Tensor.Ones(3));
            Buffer("steps", IntTensor.Zeros([]));
            Rest = Child("rest", new Sequential(new BatchNorm1d(3), new ReLU(), new Linear(3, 2, rng, bias: false)));
        }

        public override Tensor Forward(Tensor x) => Rest.Forward(First.Forward(x) * Scale);
    }

    [Fact]
    public void State_dict_lists_own_parameters_then_buffers_then_children_in_registration_order()
    {
        var toy = new Toy(new Generator(1));
        Assert.Equal(
            ["scale", "steps", "first.weight", "first.bias", "rest.0.weight", "rest.0.bias", "rest.0.running_mean",
             "rest.0.running_var", "rest.0.num_batches_tracked", "rest.2.weight"],
            toy.StateDict().Keys);
        Assert.Equal(["scale", "first.weight", "first.bias", "rest.0.weight", "rest.0.bias", "rest.2.weight"],
            toy.NamedParameters().Select(p => p.Name));
        Assert.Equal(["", "first", "rest", "rest.0", "rest.1", "rest.2"], toy.NamedModules().Select(m => m.Name));
        Assert.Equal(["first", "rest"], toy.NamedChildren().Select(c => c.Name));
        Assert.All(toy.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Same(toy.First.Weight, toy.StateDict().Float("first.weight"));            // shares storage, like torch
    }

    [Fact]
    public void Duplicate_or_dotted_member_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Clash(dotted: false));
        Assert.Throws<ArgumentException>(() => new Clash(dotted: true));
    }

    sealed class Clash : Module
    {
        public Clash(bool dotted)
        {
            Parameter("w", Tensor.Zeros(1));
            if (dotted) Parameter("a.b", Tensor.Zeros(1));
            else Child("w", new ReLU());
        }
    }

    [Fact]
    public void Train_and_Eval_reach_every_descendant()
    {
        var toy = new Toy(new Generator(1));
        Assert.All(toy.NamedModules(), m => Assert.True(m.Module.Training));
        toy.Eval();
        Assert.All(toy.NamedModules(), m => Assert.False(m.Module.Training));
        toy.Train();
        Assert.All(toy.NamedModules(), m => Assert.True(m.Module.Training));
    }

    [Fact]
    public void Load_copies_values_in_place_and_keeps_tensor_identity()
    {
        var source = new Toy(new Generator(1));
        var target = new Toy(new Generator(2));
        var weightBefore = target.First.Weight;
        source.StateDict().Int("steps").Data[0] = 7;
        target.LoadStateDict(source.StateDict());
        Assert.Same(weightBefore, target.First.Weight);
        Assert.Equal(source.First.Weight.ToArray(), target.First.Weight.ToArray());
        Assert.NotSame(source.First.Weight.Data, target.First.Weight.Data);
        Assert.Equal(7, target.StateDict().Int("steps").Data[0]);
    }

    [Fact]
    public void Strict_load_lists_missing_unexpected_and_mismatched_keys_and_copies_nothing()
    {
        var model = new Toy(new Generator(1));
        var before = model.First.Weight.ToArray();
        var state = new StateDict();
        foreach (var (name, entry) in new Toy(new Generator(2)).StateDict())
        {
            if (name == "rest.2.weight") continue;                                      // missing
            if (name == "first.bias") state.Add(name, Tensor.Zeros(4));                  // wrong shape
            else if (entry.Float is { } f) state.Add(name, f);
            else state.Add(name, entry.Int!);
        }
        state.Add("extra.weight", Tensor.Zeros(1));                                      // unexpected

        var error = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(state));
        Assert.Contains("missing keys: rest.2.weight", error.Message);
        Assert.Contains("unexpected keys: extra.weight", error.Message);
        Assert.Contains("size mismatch for first.bias: checkpoint (4), model (3)", error.Message);
        Assert.Equal(before, model.First.Weight.ToArray());

        // Non-strict ignores missing/unexpected keys but never a shape mismatch (as torch).
        var lenient = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(state, strict: false));
        Assert.DoesNotContain("missing", lenient.Message);
        Assert.Contains("first.bias", lenient.Message);
    }

    [Fact]
    public void Non_strict_load_fills_what_is_there()
    {
        var model = new Toy(new Generator(1));
        var other = new Toy(new Generator(2));
        var state = new StateDict();
        state.Add("first.weight", other.First.Weight);
        state.Add("head.weight", Tensor.Zeros(5));
        model.LoadStateDict(state, strict: false);
        Assert.Equal(other.First.Weight.ToArray(), model.First.Weight.ToArray());
    }

    [Fact]
    public void Float_and_integer_entries_cannot_stand_in_for_each_other()
    {
        var model = new Toy(new Generator(1));
        var state = model.StateDict();
        var swapped = new StateDict();
        foreach (var (name, entry) in state)
        {
            if (name == "steps") swapped.Add(name, Tensor.Zeros([]));
            else if (entry.Float is { } f) swapped.Add(name, f);
            else swapped.Add(name, entry.Int!);
        }
        var error = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(swapped));
        Assert.Contains("steps: expected an integer tensor", error.Message);
    }

    [Fact]
    public void ZeroGrad_clears_gradients_of_every_parameter()
    {
        var toy = new Toy(new Generator(1));
        var x = Tensor.Uniform(new Generator(3), -1, 1, 4, 4);
        toy.Forward(x).Sum().Backward();
        Assert.All(toy.Parameters(), p => Assert.NotNull(p.Grad));
        toy.ZeroGrad();
        Assert.All(toy.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void Trainable_parameters_skip_frozen_ones_but_named_parameters_and_state_keep_them()
    {
        var toy = new Toy(new Generator(1));
        toy.First.Weight.RequiresGrad = false;
        Assert.DoesNotContain("first.weight", toy.NamedTrainableParameters().Select(p => p.Name));
        Assert.Equal(5, toy.TrainableParameters().Count());
        Assert.Contains("first.weight", toy.NamedParameters().Select(p => p.Name));
        Assert.Contains("first.weight", toy.StateDict().Keys);
    }

    [Fact]
    public void Linear_computes_x_times_weight_transposed_plus_bias()
    {
        var linear = new Linear(3, 2, new Generator(1));
        linear.Weight.CopyFrom(Tensor.From([1, 2, 3, -1, 0, 1], 2, 3));
        linear.Bias!.CopyFrom(Tensor.From([0.5f, -0.5f], 2));
        var y = linear.Forward(Tensor.From([1, 1, 1, 2, 0, -1], 2, 3));
        Assert.Equal([6.5f, -0.5f, -0.5f, -3.5f], y.ToArray());                   // [1+2+3+.5, −1+1−.5; 2−3+.5, −2−1−.5]
    }

    [Fact]
    public void Conv2d_shape_follows_stride_and_padding_and_weights_have_grouped_layout()
    {
        var conv = new Conv2d(4, 6, 3, new Generator(1), stride: 2, padding: 1, groups: 2);
        Assert.Equal([6, 2, 3, 3], conv.Weight.Shape);
        Assert.Equal([2, 6, 4, 3], conv.Forward(Tensor.Zeros(2, 4, 7, 5)).Shape);
        var noBias = new Conv2d(1, 2, 3, new Generator(1), bias: false);
        Assert.Equal(["weight"], noBias.StateDict().Keys);
    }

    [Fact]
    public void Dropout_masks_and_rescales_in_training_and_is_the_identity_in_eval()
    {
        var dropout = new Dropout(0.5f, new Generator(8));
        var x = Tensor.Ones(1000);
        var y = dropout.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0f || v == 2f, $"{v} is neither dropped nor scaled by 1/(1−p)"));
        Assert.InRange(y.Count(v => v == 0f), 400, 600);
        dropout.Eval();
        Assert.Equal(x.ToArray(), dropout.Forward(x).ToArray());
    }
}
