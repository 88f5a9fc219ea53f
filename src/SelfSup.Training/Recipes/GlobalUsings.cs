// The recipes meet all three layers below: the methods, their views and the engine's backbones.
global using SelfSup.Engine;
global using SelfSup.Engine.Backbones;
global using SelfSup.Methods;
global using SelfSup.Vision;
global using SelfSup.Vision.Transforms;
